import { redisScript, withTimeout } from '../cluster/redis-script';
import { redisLimitFallback, type RedisLimitOptions } from './redis-limit';
import { activeRules, createRateLimiter, decideRateLimit, settlementDelta, type RateLimitDecision, type RateLimitReservation, type RateLimitRule } from './rate-limiter';

/** A rate limiter whose counters may live elsewhere (Redis): the decision is awaited. */
export interface AsyncRateLimiter {
  /** Checks every rule; admits the request (counting it in all) only when all admit it, atomically. */
  acquire(rules: readonly RateLimitRule[], estimatedTokens: number): Promise<RateLimitDecision>;
  /** Replaces a reservation's estimate with the real usage (see `RateLimiter.settle`); never awaited. */
  settle(reservation: RateLimitReservation, actualTokens: number): void;
}

/**
 * Reads every rule's window counters and, only when all have room, adds the request to all: one
 * atomic script, so instances racing for the last request of a window admit exactly the limit.
 * The same test as `decideRateLimit` (which then builds the headers from the counters returned).
 * KEYS: one hash per rule (`r` requests, `t` tokens). ARGV: tokens, time to live ms, then per rule its
 * requests and tokens limits (-1: none). Returns {admitted, r1, t1, r2, t2, ...} as they were before.
 */
const ACQUIRE = `
local tokens = tonumber(ARGV[1])
local out = {1}
for i, key in ipairs(KEYS) do
  local v = redis.call('HMGET', key, 'r', 't')
  local r = tonumber(v[1]) or 0
  local t = tonumber(v[2]) or 0
  out[2 * i] = r
  out[2 * i + 1] = t
  local maxR = tonumber(ARGV[2 * i + 1])
  local maxT = tonumber(ARGV[2 * i + 2])
  if (maxR >= 0 and maxR - r < 1) or (maxT >= 0 and maxT - t < tokens) then out[1] = 0 end
end
if out[1] == 1 then
  for _, key in ipairs(KEYS) do
    redis.call('HINCRBY', key, 'r', 1)
    redis.call('HINCRBY', key, 't', tokens)
    redis.call('PEXPIRE', key, ARGV[2])
  end
end
return out`;

/** Adds ARGV[1] tokens (negative: gives back, never below 0) to each key's window. ARGV[2]: time to live, ms. */
const SETTLE = `
for _, key in ipairs(KEYS) do
  if redis.call('HINCRBY', key, 't', ARGV[1]) < 0 then redis.call('HSET', key, 't', 0) end
  redis.call('PEXPIRE', key, ARGV[2])
end
return 0`;

/** What {@link createRedisRateLimiter} takes. */
export interface RedisRateLimiterOptions extends RedisLimitOptions {
  now: () => number;
  windowMs?: number;
}

/**
 * Requests and tokens per minute shared by every instance: the window counters live in Redis as
 * one hash per scope and window (`<prefix>{limits}:rl:<window>:<scope>`, expiring a window after
 * its end), checked and counted by one script. The window is the clock's (`floor(now / windowMs)`),
 * as on one instance, so the limits are exact across instances up to their clocks' skew at a
 * window's edge. While Redis does not answer, each instance decides with counters of its own
 * (single-instance behaviour: up to N × the limit across N instances) and says so in its log.
 */
export function createRedisRateLimiter(options: RedisRateLimiterOptions): AsyncRateLimiter {
  const windowMs = options.windowMs ?? 60_000;
  const timeoutMs = options.timeoutMs ?? 250;
  const acquire = redisScript(options.redis, ACQUIRE);
  const settle = redisScript(options.redis, SETTLE);
  const local = createRateLimiter({ now: options.now, windowMs });
  /** Reservations the local counters made (Redis was down): they settle there. */
  const localReservations = new WeakSet<RateLimitReservation>();
  const key = (window: number, scope: string) => `${options.keyPrefix}{limits}:rl:${window}:${scope}`;
  // A window's counters live until a window after its end (a settlement in it may still come);
  // relative to this instance's clock, so an injected clock works as well as the real one.
  const ttl = (window: number) => Math.max(1, (window + 2) * windowMs - options.now());
  const fallback = redisLimitFallback(options.logger, 'rate limits');

  return {
    async acquire(rules, estimatedTokens) {
      const now = options.now();
      const window = Math.floor(now / windowMs);
      const active = activeRules(rules);
      const tokens = Math.max(0, Math.ceil(estimatedTokens));
      const resetMs = (window + 1) * windowMs - now;
      if (active.length === 0) return decideRateLimit(active, [], tokens, window, resetMs);
      let reply: number[];
      try {
        const args = [tokens, ttl(window), ...active.flatMap((r) => [r.requestsPerMinute ?? -1, r.tokensPerMinute ?? -1])];
        reply = (await withTimeout(acquire(active.map((r) => key(window, r.scope)), args), timeoutMs, 'a rate limit')) as number[];
        fallback.answered();
      } catch (error) {
        fallback.failed(error);
        const decision = local.acquire(rules, estimatedTokens);
        if (decision.reservation) localReservations.add(decision.reservation);
        return decision;
      }
      const used = active.map((_, i) => ({ requests: Number(reply[1 + 2 * i]), tokens: Number(reply[2 + 2 * i]) }));
      const decision = decideRateLimit(active, used, tokens, window, resetMs);
      if (decision.allowed !== (reply[0] === 1)) {
        // Cannot happen while the script and decideRateLimit agree; the script's verdict stands.
        options.logger.error({ scopes: active.map((r) => r.scope) }, 'rate limit script and decision disagree');
      }
      return decision;
    },
    settle(reservation, actualTokens) {
      if (reservation.scopes.length === 0) return;
      if (localReservations.has(reservation)) return local.settle(reservation, actualTokens);
      const window = Math.floor(options.now() / windowMs);
      const delta = settlementDelta(reservation, actualTokens, window);
      if (delta === 0) return;
      withTimeout(
        settle(reservation.scopes.map((scope) => key(window, scope)), [delta, ttl(window)]),
        timeoutMs * 4,
        'a rate limit settlement',
      ).catch((error: unknown) => options.logger.debug({ err: error }, 'could not settle a rate limit reservation in Redis'));
    },
  };
}
