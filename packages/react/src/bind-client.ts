import { isActive, type StreamSnapshot, type ClientStreamStatus } from '@twin/client';

/** A `subscribe` + `getSnapshot` pair for `useSyncExternalStore`, optionally throttled. */
export interface ClientBinding<S = StreamSnapshot> {
  subscribe(listener: () => void): () => void;
  getSnapshot(): S;
}

/**
 * Binds a client (a stream client or a chat store) for `useSyncExternalStore`. With `throttleMs() > 0`, content updates while a stream
 * is in flight are coalesced to at most one per `throttleMs` (trailing, so the last token always
 * shows), while status changes — connecting, reconnecting, done, error, aborted — go through at once.
 * The visible snapshot only changes when listeners are told, as `useSyncExternalStore` requires.
 */
export function bindClient<S extends { status: ClientStreamStatus }>(client: ClientBinding<S>, throttleMs: () => number): ClientBinding<S> {
  let visible = client.getSnapshot();
  let timer: ReturnType<typeof setTimeout> | undefined;
  return {
    getSnapshot: () => visible,
    subscribe(listener) {
      visible = client.getSnapshot();
      const flush = () => {
        clearTimeout(timer);
        timer = undefined;
        visible = client.getSnapshot();
        listener();
      };
      const off = client.subscribe(() => {
        const next = client.getSnapshot();
        const ms = throttleMs();
        if (ms <= 0 || next.status !== visible.status || !isActive(next.status)) flush();
        else timer ??= setTimeout(flush, ms);
      });
      return () => {
        clearTimeout(timer);
        timer = undefined;
        off();
      };
    },
  };
}
