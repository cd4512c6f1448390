import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { TwinErrorCode } from '@twin/core';
import { backoffDelay } from './backoff';
import { buildRequest } from './build-request';
import type { ClientStreamEvent } from './client-event';
import { checkContent, checkState, parseErrorBody, parseWireEvent, type WireEvent } from './parse-wire-event';
import type { PayloadOpener } from './payload-opener';
import type { StreamOptions } from './stream-options';
import { toClientError, TwinClientError } from './twin-client-error';

/** Per-call settings of {@link streamEvents}. */
export interface StreamEventsInit {
  /** Aborting ends the iteration quietly (no `error` event). */
  signal?: AbortSignal;
  /** Resume stream `streamId` after `lastSeq` instead of opening a new one. */
  resume?: { streamId: string; lastSeq: number };
}

// The code for an HTTP error whose body named none (Twin servers always name one).
const codeForStatus = (status: number): TwinErrorCode =>
  status === 401 ? 'unauthorized' : status === 429 ? 'rate_limited' : status < 500 ? 'invalid_request' : 'provider_unavailable';

/** `Retry-After` as milliseconds (seconds or an HTTP date). */
function retryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - Date.now();
  return Number.isFinite(ms) && ms > 0 ? Math.ceil(ms) : undefined;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
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
  let streamId = init.resume?.streamId;
  let lastSeq = init.resume?.lastSeq ?? -1;
  let attempt = 0;
  let retryHint: number | undefined;

  while (!outer?.aborted) {
    const conn = new AbortController();
    const onAbort = () => conn.abort();
    outer?.addEventListener('abort', onAbort);
    let stalled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // Any byte (a heartbeat comment included) re-arms the watchdog; silence past it kills the connection.
    const arm = () => {
      if (!watchdogMs) return;
      clearTimeout(timer);
      timer = setTimeout(() => {
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
        const info = parseErrorBody(await res.text().catch(() => ''));
        const retryable = res.status >= 500 || res.status === 408 || res.status === 429;
        const error = new TwinClientError(
          (info.code as TwinErrorCode | undefined) ?? codeForStatus(res.status),
          info.message ?? `HTTP ${res.status}`,
          { status: res.status, retryable, provider: info.provider, retryAfterMs: retryAfter(res.headers.get('retry-after')) },
        );
        if (!retryable) throw error;
        lost = error;
      } else {
        const type = res.headers.get('content-type') ?? '';
        if (!res.body || !type.includes('text/event-stream')) {
          throw new TwinClientError('invalid_request', `Not an event stream: ${type}`, { status: res.status });
        }
        yield { type: 'open', resumed: resume !== undefined };
        const queue: EventSourceMessage[] = [];
        const parser = createParser({ onEvent: (m) => queue.push(m), onRetry: (ms) => (retryHint = ms) });
        const reader = res.body.getReader();
        const decoder = new TextDecoder();
        // Compression contexts are per connection, so each connection gets its own opener.
        let opener: PayloadOpener | undefined;
        const open = (wire: WireEvent & { sealed: unknown }): unknown => {
          if (!options.decode) {
            throw new TwinClientError('decode_failed', 'Sealed chunk, but no `decode` option');
          }
          if (streamId === undefined) throw new TwinClientError('decode_failed', 'Sealed chunk before start');
          try {
            opener ??= options.decode({ streamId });
            return opener.open(wire.type as 'chunk' | 'resync', wire.seq, wire.sealed as never);
          } catch (error) {
            // Also a throwing `decode` factory (bad keyring): no reconnect could fix either.
            throw toClientError(error, 'decrypt_failed');
          }
        };
        for (;;) {
          arm();
          const { done, value } = await reader.read();
          if (done) break;
          parser.feed(decoder.decode(value, { stream: true }));
          while (queue.length > 0) {
            const msg = queue.shift() as EventSourceMessage;
            const wire = parseWireEvent(msg.event, msg.data);
            if (!wire) {
              // An event type we do not know: ignore it, but remember its position.
              const id = Number(msg.id);
              if (msg.id && Number.isSafeInteger(id) && id > lastSeq) lastSeq = id;
              continue;
            }
            // Open BEFORE de-duplicating: a stateful decompressor must see every frame of its connection.
            let event: ClientStreamEvent;
            if ('sealed' in wire) {
              const opened = open(wire);
              event = wire.type === 'chunk'
                ? { type: 'chunk', seq: wire.seq, content: checkContent(opened) }
                : { type: 'resync', seq: wire.seq, state: checkState(opened) };
            } else if (options.requireEncryption && (wire.type === 'chunk' || wire.type === 'resync')) {
              throw new TwinClientError('decrypt_failed', 'Plain chunk refused');
            } else if (wire.type === 'error') {
              const d = wire.data;
              const error = new TwinClientError(d.code as TwinErrorCode, d.message, {
                retryable: d.retryable === true,
                provider: d.provider,
                retryAfterMs: d.retryAfterMs,
              });
              event = d.usage ? { type: 'error', seq: wire.seq, error, usage: d.usage } : { type: 'error', seq: wire.seq, error };
            } else event = wire; // a plain start, chunk, resync or complete already has the event's shape
            if (wire.seq <= lastSeq) continue; // already yielded: never apply an event twice
            if (wire.type !== 'resync' && wire.seq > lastSeq + 1) {
              // A hole in the sequence: resume from what we have rather than render a gap.
              throw new TwinClientError('stream_truncated', `Missed events after ${lastSeq}`, { retryable: true });
            }
            lastSeq = wire.seq;
            attempt = 0; // progress: the reconnect budget starts again
            if (wire.type === 'start') streamId = wire.data.streamId;
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
      clearTimeout(timer);
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
    await sleep(delayMs, outer);
  }
}
