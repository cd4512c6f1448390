/**
 * Requests-per-minute and tokens-per-minute limits over fixed one-minute windows, aligned to the
 * clock (`floor(now / windowMs)`), so every instance of a cluster agrees on the window without
 * talking: a Redis backend needs one `INCRBY` + `PEXPIREAT` per counter (atomically in a script)
 * and nothing else. Pure: the clock is injected, there is no timer; exact at the boundary (the
 * request that fills the limit is admitted, the next is refused, and the next window starts at
 * `windowStart + windowMs` exactly).
 *
 * The known trade-off of fixed windows: a client may spend a whole window's allowance at the end
 * of one window and again at the start of the next.
 */

/** One set of limits: a key's or a tenant's. A missing limit is no limit. */
export interface RateLimitRule {
  /** Counter name, e.g. `key:key_abc` or `tenant:acme`. */
  scope: string;
  requestsPerMinute?: number | undefined;
  tokensPerMinute?: number | undefined;
}

/** Where the counters live. The in-memory one serves a single process; a shared one serves a cluster. */
export interface RateLimitCounters {
  /** The counter's value in `window` (0 when it has none there). */
  get(scope: string, window: number): { requests: number; tokens: number };
  add(scope: string, window: number, requests: number, tokens: number): void;
}

/** Tokens held for an admitted request until its real usage is known. */
export interface RateLimitReservation {
  window: number;
  scopes: string[];
  tokens: number;
}

/** The answer for one request. */
export interface RateLimitDecision {
  allowed: boolean;
  /** Which limit refused it. */
  limitedBy?: 'requests' | 'tokens';
  /** The scope of the refusing (or, when allowed, the tightest) rule. */
  scope?: string;
  /** Until the window resets (ms); the `Retry-After` of a refusal. */
  resetMs: number;
  /** OpenAI's `x-ratelimit-*` headers for the tightest rule (none without rules). */
  headers: Record<string, string>;
  /** Present when allowed: settle it with the real usage once known. */
  reservation?: RateLimitReservation;
}

export interface RateLimiter {
  /** Checks every rule; admits the request (counting it in all) only when all admit it. */
  acquire(rules: readonly RateLimitRule[], estimatedTokens: number): RateLimitDecision;
  /**
   * Replaces a reservation's estimate with the real usage: in the same window the difference is
   * added (or given back); once that window is over, only usage above the estimate is charged, to
   * the current window (a past window cannot be refunded to anyone).
   */
  settle(reservation: RateLimitReservation, actualTokens: number): void;
}

/** In-memory counters; old windows are dropped as new ones start. */
export function createMemoryRateLimitCounters(): RateLimitCounters {
  const entries = new Map<string, { window: number; requests: number; tokens: number }>();
  let lastSweep = -Infinity;
  return {
    get(scope, window) {
      const e = entries.get(scope);
      return e && e.window === window ? { requests: e.requests, tokens: e.tokens } : { requests: 0, tokens: 0 };
    },
    add(scope, window, requests, tokens) {
      if (window > lastSweep) {
        // Once per window: forget counters of windows that are over, so idle keys cost nothing.
        for (const [k, e] of entries) if (e.window < window) entries.delete(k);
        lastSweep = window;
      }
      let e = entries.get(scope);
      if (!e || e.window !== window) {
        if (e && e.window > window) return;
        e = { window, requests: 0, tokens: 0 };
        entries.set(scope, e);
      }
      e.requests += requests;
      e.tokens = Math.max(0, e.tokens + tokens);
    },
  };
}

/** Go-style durations as OpenAI sends them (`20ms`, `1.5s`, `6m0s`). */
export function formatResetDuration(ms: number): string {
  if (ms < 1_000) return `${Math.max(0, Math.ceil(ms))}ms`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms - minutes * 60_000) / 10) / 100;
  return minutes > 0 ? `${minutes}m${seconds}s` : `${seconds}s`;
}

/** The rules that limit anything (a rule with neither limit is no rule). */
export function activeRules(rules: readonly RateLimitRule[]): RateLimitRule[] {
  return rules.filter((r) => r.requestsPerMinute !== undefined || r.tokensPerMinute !== undefined);
}

/**
 * The decision for `active` rules given each one's counters in the window before this request
 * (`used[i]` of `active[i]`): refused by the first rule without room for one more request or
 * `tokens` more tokens, with the tightest rule's headers either way. Pure, shared by every backend:
 * a cluster's Redis script takes the same decision atomically and hands back `used` for these headers.
 */
export function decideRateLimit(
  active: readonly RateLimitRule[],
  used: ReadonlyArray<{ requests: number; tokens: number }>,
  tokens: number,
  window: number,
  resetMs: number,
): RateLimitDecision {
  if (active.length === 0) return { allowed: true, resetMs, headers: {}, reservation: { window, scopes: [], tokens: 0 } };
  let tightestRequests: { rule: RateLimitRule; remaining: number } | undefined;
  let tightestTokens: { rule: RateLimitRule; remaining: number } | undefined;
  let refused: RateLimitDecision | undefined;
  active.forEach((rule, i) => {
    const u = used[i] ?? { requests: 0, tokens: 0 };
    if (rule.requestsPerMinute !== undefined) {
      const remaining = rule.requestsPerMinute - u.requests;
      if (!tightestRequests || remaining < tightestRequests.remaining) tightestRequests = { rule, remaining };
      if (remaining < 1 && !refused) refused = { allowed: false, limitedBy: 'requests', scope: rule.scope, resetMs, headers: {} };
    }
    if (rule.tokensPerMinute !== undefined) {
      const remaining = rule.tokensPerMinute - u.tokens;
      if (!tightestTokens || remaining < tightestTokens.remaining) tightestTokens = { rule, remaining };
      if (remaining < tokens && !refused) refused = { allowed: false, limitedBy: 'tokens', scope: rule.scope, resetMs, headers: {} };
    }
  });
  const admitted = !refused;
  const headers: Record<string, string> = {};
  const reset = formatResetDuration(resetMs);
  if (tightestRequests) {
    headers['x-ratelimit-limit-requests'] = String(tightestRequests.rule.requestsPerMinute);
    headers['x-ratelimit-remaining-requests'] = String(Math.max(0, tightestRequests.remaining - (admitted ? 1 : 0)));
    headers['x-ratelimit-reset-requests'] = reset;
  }
  if (tightestTokens) {
    headers['x-ratelimit-limit-tokens'] = String(tightestTokens.rule.tokensPerMinute);
    headers['x-ratelimit-remaining-tokens'] = String(Math.max(0, tightestTokens.remaining - (admitted ? tokens : 0)));
    headers['x-ratelimit-reset-tokens'] = reset;
  }
  if (refused) return { ...(refused as RateLimitDecision), headers };
  const scope = (tightestRequests ?? tightestTokens)!.rule.scope;
  return { allowed: true, scope, resetMs, headers, reservation: { window, scopes: active.map((r) => r.scope), tokens } };
}

/** A settlement's change to the counters: in the reserved window the difference, after it only usage above the estimate (to the current window). */
export function settlementDelta(reservation: RateLimitReservation, actualTokens: number, window: number): number {
  const actual = Math.max(0, Math.ceil(actualTokens));
  return window === reservation.window ? actual - reservation.tokens : Math.max(0, actual - reservation.tokens);
}

export function createRateLimiter(options: { now: () => number; windowMs?: number; counters?: RateLimitCounters }): RateLimiter {
  const windowMs = options.windowMs ?? 60_000;
  const counters = options.counters ?? createMemoryRateLimitCounters();

  return {
    acquire(rules, estimatedTokens) {
      const now = options.now();
      const window = Math.floor(now / windowMs);
      const active = activeRules(rules);
      const tokens = Math.max(0, Math.ceil(estimatedTokens));
      const decision = decideRateLimit(active, active.map((rule) => counters.get(rule.scope, window)), tokens, window, (window + 1) * windowMs - now);
      if (decision.allowed) for (const rule of active) counters.add(rule.scope, window, 1, tokens);
      return decision;
    },
    settle(reservation, actualTokens) {
      if (reservation.scopes.length === 0) return;
      const window = Math.floor(options.now() / windowMs);
      const delta = settlementDelta(reservation, actualTokens, window);
      if (delta === 0) return;
      for (const scope of reservation.scopes) counters.add(scope, window, 0, delta);
    },
  };
}
