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
 * shared unref'd interval per period, until {@link unregisterHeartbeat} (no closure per member to
 * take it out: thousands of open connections are members).
 */
export function registerHeartbeat(intervalMs: number, member: HeartbeatMember): void {
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
  ticker.members.add(member);
}

/** Takes `member` out of its period's ticker; the interval stops when its last member leaves. */
export function unregisterHeartbeat(intervalMs: number, member: HeartbeatMember): void {
  const ticker = tickers.get(intervalMs);
  if (!ticker || !ticker.members.delete(member) || ticker.members.size > 0) return;
  clearInterval(ticker.timer);
  tickers.delete(intervalMs);
}
