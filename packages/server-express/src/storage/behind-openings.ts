/**
 * Where the writes nobody waits on (stream endings, audit segments and events, connection rows) go
 * on the embedded database: right behind a billing opening. The database runs one statement at a
 * time, and a stream's first content byte waits for its opening's commit (OpeningGate), so an
 * opening that arrives while an ending or an audit batch runs waits for it: that was most of the
 * time to first byte's tail (issue #19). Sent as soon as an opening has committed, a batch runs in
 * the gap before the next stream starts; when no stream starts, it goes anyway after a bounded wait.
 */
export interface BehindOpenings {
  /**
   * Calls `go` once the next opening commits (one in flight included), or after `maxWaitMs` when
   * none does. `go` runs once.
   */
  defer(go: () => void, maxWaitMs: number): void;
  /** An opening (a batch of them) committed: every deferred write goes now. */
  committed(): void;
}

/** Creates the rendezvous between the openings writer and the writes queued behind it. */
export function createBehindOpenings(): BehindOpenings {
  // A Set: an entry whose wait ran out leaves it at once (a server where no stream starts for hours
  // keeps deferring its audit batches).
  let waiting = new Set<() => void>();
  return {
    defer(go, maxWaitMs) {
      const once = () => {
        clearTimeout(timer);
        waiting.delete(once);
        go();
      };
      const timer = setTimeout(once, maxWaitMs);
      timer.unref?.();
      waiting.add(once);
    },
    committed() {
      if (waiting.size === 0) return;
      const due = waiting;
      waiting = new Set();
      for (const go of due) go();
    },
  };
}
