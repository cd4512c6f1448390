import type { CostReceipt } from '@twin/core';
import { applyClientEvent } from './apply-client-event';
import { baseHeaders } from './build-request';
import { createListeners } from './listeners';
import { streamEvents, type StreamEventsInit } from './stream-events';
import type { StreamOptions } from './stream-options';
import { IDLE_SNAPSHOT, isActive, type StreamSnapshot } from './stream-snapshot';
import { toClientError } from './twin-client-error';

/** Options of {@link createStreamClient}: where to stream from, plus the state machine's own. */
export interface StreamClientOptions extends StreamOptions {
  /**
   * What `stop()` asks the server, so it ends (and bills) the stream now rather than waiting for the
   * dropped connection to time out. Default: `DELETE <url>/<streamId>` with the same API key; a
   * function returns another URL; `false` only drops the connection.
   */
  cancelRequest?: false | ((context: { url: string; streamId: string }) => string);
  /**
   * Attach to a stream that is already running (e.g. after a page reload) instead of opening a new
   * one: the server replays the events after `lastSeq` (0: everything after the `start` event).
   */
  resume?: { streamId: string; lastSeq: number };
}

/**
 * A framework-free stream state machine (the TanStack Query habit): `subscribe` + `getSnapshot` for
 * any UI binding, and commands that move it.
 */
export interface StreamClient {
  /** The current snapshot. The same object until something changes. */
  getSnapshot(): StreamSnapshot;
  /** Calls `listener` after every change; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
  /**
   * Starts a new stream (stopping the current one), with `overrides` merged over the client's options
   * (e.g. a new `body`). Resolves with the final snapshot (`done`, `error` or `aborted`; a stream
   * replaced by a newer `start()` resolves `aborted`); never rejects.
   */
  start(overrides?: Partial<StreamClientOptions>): Promise<StreamSnapshot>;
  /**
   * Aborts the stream in flight (status `aborted`) and asks the server to cancel it; when the server
   * answers with the partial stream's cost receipt, it appears as `cost` on the aborted snapshot.
   */
  stop(): void;
  /**
   * After an `error`: resumes the same stream from the last event received when the error was
   * retryable and the stream id is known (the text so far is kept), else starts it again.
   */
  retry(): Promise<StreamSnapshot>;
  /** Stops any stream and returns to `idle`. */
  reset(): void;
}

function defaultCancelUrl(url: string, streamId: string): string {
  const path = url.split(/[?#]/)[0] as string;
  return `${path.replace(/\/+$/, '')}/${encodeURIComponent(streamId)}`;
}

/** Creates a {@link StreamClient}. Nothing is requested until `start()`. */
export function createStreamClient(options: StreamClientOptions): StreamClient {
  const now = options.now ?? Date.now;
  const listeners = createListeners();
  let snapshot = IDLE_SNAPSHOT;
  let current: AbortController | undefined;
  // The run whose stream the snapshot shows (stop() keeps it; a new start() takes it over).
  let owner: AbortController | undefined;
  let lastOptions: StreamClientOptions = options;

  const set = (next: StreamSnapshot) => {
    snapshot = next;
    listeners.notify();
  };

  // Ends the stream in flight without touching the snapshot; tells the server when asked to.
  const halt = (cancel: boolean) => {
    const controller = current;
    current = undefined;
    if (!controller) return;
    controller.abort();
    const { streamId } = snapshot;
    const cancelRequest = lastOptions.cancelRequest;
    if (cancel && streamId && cancelRequest !== false && isActive(snapshot.status)) {
      const url = String(lastOptions.url);
      const target = cancelRequest ? cancelRequest({ url, streamId }) : defaultCancelUrl(url, streamId);
      const doFetch = lastOptions.fetch ?? globalThis.fetch;
      // Not awaited: the local stream is already stopped. The reference server answers with the
      // stream's summary; its cost receipt, when there, completes the aborted snapshot.
      Promise.resolve()
        .then(() => doFetch(target, { method: 'DELETE', headers: baseHeaders(lastOptions), keepalive: true }))
        .then((res) => res.json())
        .then((body: { stream?: { cost?: CostReceipt } } | null) => {
          const cost = body?.stream?.cost;
          if (typeof cost?.total === 'string' && snapshot.streamId === streamId && snapshot.status === 'aborted') set({ ...snapshot, cost });
        })
        .catch(() => undefined);
    }
  };

  const run = async (opts: StreamClientOptions, init: StreamEventsInit, first: StreamSnapshot): Promise<StreamSnapshot> => {
    halt(true);
    const controller = new AbortController();
    current = controller;
    owner = controller;
    lastOptions = opts;
    let own = first;
    set(first);
    try {
      for await (const event of streamEvents(opts, { ...init, signal: controller.signal })) {
        if (current !== controller) break;
        own = applyClientEvent(snapshot, event, now());
        set(own);
      }
    } catch (error) {
      // Only a broken `fetch` or `decode` implementation can get here; report it, do not throw.
      if (current === controller) set((own = { ...snapshot, status: 'error', error: toClientError(error, 'internal') }));
    }
    if (current === controller) current = undefined;
    if (owner === controller) return snapshot;
    // Replaced by a newer start(): this stream ended by being aborted.
    return isActive(own.status) ? { ...own, status: 'aborted' } : own;
  };

  // A new stream's first snapshot (start(), or retry() when it cannot resume).
  const connecting = (): StreamSnapshot => ({ ...IDLE_SNAPSHOT, status: 'connecting', metrics: { ...IDLE_SNAPSHOT.metrics, startedAt: now() } });

  return {
    getSnapshot: () => snapshot,
    subscribe: listeners.subscribe,
    start(overrides) {
      const opts = { ...options, ...overrides };
      const { resume } = opts;
      // A resumed stream's id is known before its events come back, so stop() can cancel it.
      return run(opts, { resume }, { ...connecting(), streamId: resume?.streamId });
    },
    stop() {
      if (!isActive(snapshot.status)) return;
      halt(true);
      set({ ...snapshot, status: 'aborted', reconnectAttempt: 0, metrics: { ...snapshot.metrics, endedAt: now() } });
    },
    retry() {
      const s = snapshot;
      if (s.status === 'error' && s.error?.retryable && s.streamId && s.lastSeq >= 0) {
        const resume = { streamId: s.streamId, lastSeq: s.lastSeq };
        return run(lastOptions, { resume }, { ...s, status: 'reconnecting', error: undefined, metrics: { ...s.metrics, endedAt: undefined } });
      }
      return run(lastOptions, {}, connecting());
    },
    reset() {
      halt(true);
      if (snapshot !== IDLE_SNAPSHOT) set(IDLE_SNAPSHOT);
    },
  };
}
