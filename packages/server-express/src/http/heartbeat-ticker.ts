/** A connection the {@link registerHeartbeat} ticker checks. */
export interface HeartbeatMember {
  /** Writes a heartbeat if the connection has been quiet for long enough. */
  beat(now: number): void;
}

interface Ticker {
  members: Set<HeartbeatMember>;
  timer: ReturnType<typeof setInterval>;
}

// One interval per distinct heartbeat period for the whole process, not one per connection:
// 10,000 connections cost one timer, and a connection costs a Set entry.
const tickers = new Map<number, Ticker>();

/**
 * Checks `member` every quarter of `intervalMs` (the member decides whether to write), with one
 * shared unref'd interval per period. Returns the unregister function; the interval stops when
 * its last member leaves.
 */
export function registerHeartbeat(intervalMs: number, member: HeartbeatMember): () => void {
  let ticker = tickers.get(intervalMs);
  if (!ticker) {
    const members = new Set<HeartbeatMember>();
    const timer = setInterval(
      () => {
        const now = Date.now();
        for (const m of members) m.beat(now);
      },
      Math.max(1, Math.floor(intervalMs / 4)),
    );
    timer.unref();
    ticker = { members, timer };
    tickers.set(intervalMs, ticker);
  }
  const t = ticker;
  t.members.add(member);
  return () => {
    if (!t.members.delete(member) || t.members.size > 0) return;
    clearInterval(t.timer);
    if (tickers.get(intervalMs) === t) tickers.delete(intervalMs);
  };
}
