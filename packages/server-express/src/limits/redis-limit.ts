import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

/** What every Redis-backed limit takes. */
export interface RedisLimitOptions {
  redis: Redis;
  /** Prefix of every key (the cluster's key prefix). */
  keyPrefix: string;
  /** How long a decision may wait on Redis before this instance decides alone (default 250 ms). */
  timeoutMs?: number;
  logger: Logger;
}

/** Tells a Redis-backed limit's log whether it decides for the cluster; see {@link redisLimitFallback}. */
export interface RedisLimitFallback {
  /** Redis answered: the limit is cluster-wide (again). */
  answered(): void;
  /** Redis did not answer: this instance decides alone until it does. */
  failed(error: unknown): void;
}

/**
 * While Redis does not answer, a limit decides with this instance's counters alone (up to N × the
 * limit across N instances). Each change is logged once, a warning on going alone and a note on
 * coming back, never once per request. `limits` names them in the log ("rate limits").
 */
export function redisLimitFallback(logger: Logger, limits: string): RedisLimitFallback {
  let alone = false;
  return {
    answered() {
      if (alone) logger.info(`Redis answers again: ${limits} are cluster-wide`);
      alone = false;
    },
    failed(error) {
      if (!alone) logger.warn({ err: error }, `Redis unreachable: ${limits} are per instance until it answers again`);
      alone = true;
    },
  };
}
