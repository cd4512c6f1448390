/** The change listeners of a `subscribe` + `getSnapshot` store (the shape `useSyncExternalStore` binds). */
export interface Listeners {
  /** Adds `listener`; returns the function that removes it. */
  subscribe(listener: () => void): () => void;
  /** Calls every listener. A listener that unsubscribes (or subscribes another) while called does not disturb this round. */
  notify(): void;
}

export function createListeners(): Listeners {
  const listeners = new Set<() => void>();
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    notify() {
      for (const listener of [...listeners]) listener();
    },
  };
}
