import { useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { createStreamClient, IDLE_SNAPSHOT, type StreamClientOptions, type StreamSnapshot } from '@twin/client';
import { bindClient } from './bind-client';

/** Options of {@link useStream}: the client's options plus two for rendering. */
export interface UseStreamOptions extends StreamClientOptions {
  /**
   * Re-render at most once per this many milliseconds while tokens arrive (status changes render at
   * once). Default 0: every event renders. 16–50 ms keeps a fast stream smooth without a render per token.
   */
  throttleMs?: number;
  /** Start streaming when the component mounts (once, also under StrictMode). Default false. */
  autoStart?: boolean;
}

/** The stream's snapshot plus the commands that drive it. Commands are stable across renders. */
export interface UseStreamResult extends StreamSnapshot {
  /** Starts a stream with the latest options, `overrides` (e.g. `{ body }`) merged over them. */
  start(overrides?: Partial<StreamClientOptions>): Promise<StreamSnapshot>;
  /** Aborts the stream in flight and asks the server to cancel it. */
  stop(): void;
  /** After an error: resumes (retryable) or restarts the stream. */
  retry(): Promise<StreamSnapshot>;
  /** Back to `idle`, stopping any stream. */
  reset(): void;
}

const serverSnapshot = () => IDLE_SNAPSHOT;

/**
 * Streams from a Twin server into a component: the snapshot (status, text, reasoning, tool calls,
 * usage, cost, metrics) plus `start`, `stop`, `retry`, `reset`.
 *
 * It only binds a `@twin/client` state machine with `useSyncExternalStore`: nothing is requested
 * during render (SSR-safe: the server renders `idle`), unmounting stops the stream, and StrictMode's
 * mount–unmount–mount does not send a second request.
 */
export function useStream(options: UseStreamOptions): UseStreamResult {
  const latest = useRef(options);
  latest.current = options;
  const [bound] = useState(() => {
    const client = createStreamClient(options);
    const binding = bindClient(client, () => latest.current.throttleMs ?? 0);
    // The client's commands are closures (no `this`): they are handed out as they are.
    return {
      client,
      binding,
      start: (overrides?: Partial<StreamClientOptions>) => client.start({ ...latest.current, ...overrides }),
      stop: client.stop,
      retry: client.retry,
      reset: client.reset,
    };
  });
  const snapshot = useSyncExternalStore(bound.binding.subscribe, bound.binding.getSnapshot, serverSnapshot);

  useEffect(() => {
    let cancelled = false;
    // Deferred one microtask: StrictMode's simulated unmount runs first and cancels it, so only the
    // real mount starts a request.
    if (latest.current.autoStart) {
      queueMicrotask(() => {
        if (!cancelled) void bound.start();
      });
    }
    return () => {
      cancelled = true;
      bound.client.stop();
    };
  }, [bound]);

  return useMemo(() => ({ ...snapshot, start: bound.start, stop: bound.stop, retry: bound.retry, reset: bound.reset }), [snapshot, bound]);
}
