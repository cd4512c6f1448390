import { backoffDelay } from './backoff';
import { buildRequest } from './build-request';
import type { ClientStreamEvent } from './client-event';
import { httpError } from './http-error';
import { parseWireEvent } from './parse-wire-event';
import { createSealedFrameOpener } from './sealed-frame-opener';
import { createSSEParser } from './sse-parser';
import { GLOBAL_TIMERS, type ClientTimers, type StreamOptions } from './stream-options';
import { toClientEvent } from './to-client-event';
import { TwinClientError } from './twin-client-error';

/** Per-call settings of {@link streamEvents}. */
export interface StreamEventsInit {
  /** Aborting ends the iteration quietly (no `error` event). */
  signal?: AbortSignal;
  /** Resume stream `streamId` after `lastSeq` instead of opening a new one. */
  resume?: { streamId: string; lastSeq: number };
}

/** The sequence number in an SSE id: `<seq>`, or `<streamId>:<seq>`. */
function seqOfEventId(id: string): number | undefined {
  const m = /(?:^|:)(\d{1,15})$/.exec(id);
  return m ? Number(m[1]) : undefined;
}

/** Waits `ms` on `timers`, or less when `signal` aborts. */
function sleep(timers: ClientTimers, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      timers.clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = timers.setTimeout(done, ms);
    signal?.addEventListener('abort', done);
  });
}

/**
 * The engine: opens the stream and yields its events, decoded and in order, until `complete` or
 * `error` (or until `signal` aborts). Lost connections — network errors, 5xx/408/429 answers, a body
 * that ends early, silence past the heartbeat watchdog — are replaced by a resumed connection with
 * `Last-Event-ID` after a jittered exponential backoff, so the consumer sees every event exactly once:
 * events with a seq at or below the last one yielded are dropped. Other 4xx answers and frames that
 * fail to parse or open end the stream with an `error` event (never garbage text).
 */
export async function* streamEvents(options: StreamOptions, init: StreamEventsInit = {}): AsyncGenerator<ClientStreamEvent, void, undefined> {
  const doFetch = options.fetch ?? globalThis.fetch;
  const policy = options.reconnect === false ? { maxAttempts: 0 } : (options.reconnect ?? {});
  const maxAttempts = policy.maxAttempts ?? 6;
  const watchdogMs = options.heartbeatTimeoutMs ?? 45_000;
  const outer = init.signal;
  const timers = options.timers ?? GLOBAL_TIMERS;
  const now = options.now ?? Date.now;
  let streamId = init.resume?.streamId;
  let lastSeq = init.resume?.lastSeq ?? -1;
  let attempt = 0;
  let retryHint: number | undefined;
  // Once a stream announced encryption (its start event names a cipher), its content must be sealed
  // on this connection and every resumed one (a plain chunk is a downgrade), and so must its ending
  // when the server speaks protocol 2 (which seals endings). `requireEncryption: true` asks for both
  // from the first byte, whatever the start event says.
  const required = options.requireEncryption === true;
  let encrypted = required;
  let sealedEnding = required;
  const minRetryMs = policy.minDelayMs ?? 250;

  while (!outer?.aborted) {
    const conn = new AbortController();
    const onAbort = () => conn.abort();
    outer?.addEventListener('abort', onAbort);
    let stalled = false;
    let timer: unknown;
    // Any byte (a heartbeat comment included) re-arms the watchdog; silence past it kills the connection.
    const arm = () => {
      if (!watchdogMs) return;
      timers.clearTimeout(timer);
      timer = timers.setTimeout(() => {
        stalled = true;
        conn.abort();
      }, watchdogMs);
    };
    let lost: TwinClientError;
    try {
      arm();
      const resume = streamId !== undefined && lastSeq >= 0 ? { streamId, lastSeq } : undefined;
      const { url, init: request } = buildRequest(options, resume);
      const res = await doFetch(url, { ...request, signal: conn.signal });
      if (!res.ok) {
        const error = await httpError(res, now);
        if (!error.retryable) throw error;
        lost = error;
      } else {
        const type = res.headers.get('content-type') ?? '';
        if (!res.body || !type.includes('text/event-stream')) {
          throw new TwinClientError('invalid_request', `Not an event stream: ${type}`, { status: res.status });
        }
        yield { type: 'open', resumed: resume !== undefined };
        // A server's `retry:` is a hint with a floor: `retry: 0` must not make every client reconnect at once.
        const parser = createSSEParser((ms) => (retryHint = Math.max(ms, minRetryMs)));
        const reader = res.body.getReader();
        const decoder = new TextDecoder();
        // A fresh opener per connection: compression contexts are per connection.
        const open = createSealedFrameOpener(options.decode, () => streamId);
        for (;;) {
          arm();
          const { done, value } = await reader.read();
          if (done) break;
          for (const block of parser.feed(decoder.decode(value, { stream: true }))) {
            const wire = block.data === undefined ? undefined : parseWireEvent(block.event, block.data);
            if (!wire) {
              // A block without data, or an event type we do not know: ignore it, but an id it sets
              // still moves the last event ID (WHATWG), so a resume starts after it.
              const seq = block.setsId ? seqOfEventId(block.lastEventId) : undefined;
              if (seq !== undefined && seq > lastSeq) lastSeq = seq;
              continue;
            }
            if (wire.type !== 'resync' && wire.seq > lastSeq + 1) {
              // A hole in the sequence (checked before opening: the chain would not open past it):
              // resume from what we have rather than render a gap.
              throw new TwinClientError('stream_truncated', `Missed events after ${lastSeq}`, { retryable: true });
            }
            // Map (and open) BEFORE de-duplicating: a stateful decompressor must see every frame of its connection.
            const event = toClientEvent(wire, open, { content: encrypted, ending: sealedEnding });
            if (wire.seq <= lastSeq) continue; // already yielded: never apply an event twice
            lastSeq = wire.seq;
            attempt = 0; // progress: the reconnect budget starts again
            if (wire.type === 'start') {
              streamId = wire.data.streamId;
              if (wire.data.alg !== undefined) {
                encrypted = true;
                if (wire.data.v >= 2) sealedEnding = true;
              }
            }
            yield event;
            if (event.type === 'complete' || event.type === 'error') return;
          }
        }
        lost = new TwinClientError('stream_truncated', 'Connection closed early', { retryable: true });
      }
    } catch (error) {
      // A non-retryable client error ends the stream for good: no reconnect can fix it.
      if (error instanceof TwinClientError && !error.retryable) {
        yield { type: 'error', error };
        return;
      }
      if (outer?.aborted) return;
      if (stalled) lost = new TwinClientError('stream_stalled', `Silent for ${watchdogMs} ms`, { retryable: true });
      else if (error instanceof TwinClientError) lost = error;
      else lost = new TwinClientError('network_error', 'Connection failed', { retryable: true, cause: error });
    } finally {
      timers.clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
      conn.abort(); // releases the socket of a connection we are leaving
    }
    if (outer?.aborted) return;
    attempt += 1;
    if (attempt > maxAttempts) {
      if (maxAttempts > 0) {
        lost = new TwinClientError(lost.code, `${lost.message} (gave up after ${maxAttempts} reconnects)`, { ...lost, cause: lost });
      }
      yield { type: 'error', error: lost };
      return;
    }
    const delayMs = backoffDelay(attempt, policy, options.random ?? Math.random, retryHint, lost.retryAfterMs);
    yield { type: 'reconnecting', attempt, delayMs, error: lost };
    await sleep(timers, delayMs, outer);
  }
}
