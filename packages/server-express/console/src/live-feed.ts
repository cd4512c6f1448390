import { createParser } from 'eventsource-parser';
import type { AdminLiveSnapshot as LiveSnapshot, LiveStreamSummary as LiveRow } from './api-types';

/** A stream that left the live table: its last row and when the console saw it go. */
export interface FinishedRow {
  row: LiveRow;
  goneAt: number;
}

/** What the live page renders. */
export interface LiveFeedState {
  status: 'connecting' | 'live' | 'retrying' | 'denied';
  snapshot: LiveSnapshot | undefined;
  /** Newest first, the last 50. */
  finished: FinishedRow[];
  error?: string;
}

/**
 * The admin live feed (`GET /api/admin/live`, Twin's SSE) as an external store: `subscribe` +
 * `getSnapshot` for useSyncExternalStore, like @twin/client's stream state machine. It reads with
 * fetch (the key goes in a header, never in the URL) and parses with eventsource-parser; a lost
 * feed is reopened after 2 s. Each `live` event is the whole table, so nothing is lost by a gap.
 */
export function createLiveFeed(key: string, intervalMs = 1_000) {
  let state: LiveFeedState = { status: 'connecting', snapshot: undefined, finished: [] };
  const listeners = new Set<() => void>();
  const controller = new AbortController();
  const set = (next: LiveFeedState) => {
    state = next;
    for (const l of listeners) l();
  };

  const onSnapshot = (snapshot: LiveSnapshot) => {
    const now = Date.now();
    const ids = new Set(snapshot.streams.map((s) => s.id));
    const gone = (state.snapshot?.streams ?? []).filter((s) => !ids.has(s.id)).map((row) => ({ row, goneAt: now }));
    set({ status: 'live', snapshot, finished: gone.length ? [...gone, ...state.finished].slice(0, 50) : state.finished });
  };

  const run = async () => {
    while (!controller.signal.aborted) {
      try {
        const res = await fetch(`/api/admin/live?intervalMs=${intervalMs}`, { headers: { Authorization: `Bearer ${key}` }, signal: controller.signal });
        if (res.status === 401 || res.status === 403) {
          set({ ...state, status: 'denied', error: `HTTP ${res.status}` });
          return;
        }
        if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
        const parser = createParser({
          onEvent(event) {
            if (event.event !== 'live') return;
            try {
              onSnapshot(JSON.parse(event.data) as LiveSnapshot);
            } catch {
              // A frame we cannot read is skipped: the next one carries the whole table again.
            }
          },
        });
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          parser.feed(value);
        }
      } catch (error) {
        if (controller.signal.aborted) return;
        set({ ...state, status: 'retrying', error: String(error) });
      }
      await new Promise((r) => setTimeout(r, 2_000));
    }
  };
  void run();

  return {
    subscribe(listener: () => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    getSnapshot: () => state,
    close: () => controller.abort(),
  };
}

export type LiveFeed = ReturnType<typeof createLiveFeed>;
