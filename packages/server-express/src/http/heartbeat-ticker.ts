/** A connection the {@link registerHeartbeat} ticker checks. */
export interface HeartbeatMember {
  /** Writes a heartbeat if the connection has been quiet for long enough ({@link QUIET_CHECKS} checks). */
  beat(): void;
}

/**
 * A period's members are checked every 0.225 of it, and a member writes its heartbeat at the 4th
 * check with no write since the one that saw its last write: after 0.9 (4 × 0.225, the write just
 * before that check) to 1.125 intervals of silence (the write just after the previous check). The
 * writes themselves then read no clock.
 */
const HEARTBEAT_CHECK_FRACTION = 0.225;
export const QUIET_CHECKS = 4;

interface Ticker {
  members: Set<HeartbeatMember>;
  timer: ReturnType<typeof setInterval>;
}

// One interval per distinct heartbeat period for the whole process, not one per connection:
// 10,000 connections cost one timer, and a connection costs a Set entry.
const tickers = new Map<number, Ticker>();

/**
 * Checks `member` every {@link HEARTBEAT_CHECK_FRACTION} of `intervalMs` (the member decides whether to write), with one
 * shared unref'd interval per period, until {@link unregisterHeartbeat} (no closure per member to
 * take it out: thousands of open connections are members).
 */
export function registerHeartbeat(intervalMs: number, member: HeartbeatMember): void {
  let ticker = tickers.get(intervalMs);
  if (!ticker) {
    const members = new Set<HeartbeatMember>();
    const timer = setInterval(
      () => {
        for (const m of members) m.beat();
      },
      Math.max(1, Math.ceil(intervalMs * HEARTBEAT_CHECK_FRACTION)),
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
