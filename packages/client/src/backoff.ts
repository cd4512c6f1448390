/** How the client waits between reconnect attempts. */
export interface ReconnectOptions {
  /** Attempts after a connection is lost before giving up with an error (default 6). Progress resets the count. */
  maxAttempts?: number;
  /** First delay when the server sent no `retry:` hint (default 500 ms). */
  initialDelayMs?: number;
  /** Upper bound of one delay (default 15,000 ms). */
  maxDelayMs?: number;
  /** Growth per attempt (default 2). */
  factor?: number;
  /**
   * Floor under the server's `retry:` hint (default 250 ms): a `retry: 0` from a failing server
   * must not make all its clients reconnect at once, over and over.
   */
  minDelayMs?: number;
}

/**
 * Delay before reconnect attempt `attempt` (1-based): exponential growth from the server's `retry:`
 * hint (or `initialDelayMs`), capped, with "equal jitter" — a random point in the upper half — so a
 * crowd of clients cut at the same moment does not reconnect in lockstep, yet never retries at once.
 * A `Retry-After` from the server is a floor: we never come back earlier than asked.
 */
export function backoffDelay(
  attempt: number,
  options: ReconnectOptions,
  random: () => number,
  retryHintMs?: number,
  retryAfterMs?: number,
): number {
  const base = retryHintMs ?? options.initialDelayMs ?? 500;
  const max = options.maxDelayMs ?? 15_000;
  const exp = Math.min(max, base * (options.factor ?? 2) ** Math.max(0, attempt - 1));
  const jittered = exp / 2 + random() * (exp / 2);
  return Math.max(Math.round(jittered), retryAfterMs ?? 0);
}
