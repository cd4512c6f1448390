import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** A Lua script run by its SHA (EVALSHA), loaded with EVAL the first time a server does not know it (NOSCRIPT, e.g. after a restart). */
export type RedisScript = (keys: readonly string[], args: ReadonlyArray<string | number>) => Promise<unknown>;

/**
 * Wraps `lua` for `redis`: one round trip per call, the script text sent only when the server lacks
 * it. The script is loaded at once, ahead of any call on the connection, so calls that are not
 * awaited (a settlement) still run in the order they were made; only after a Redis restart does one
 * call take the EVAL path.
 */
export function redisScript(redis: Redis, lua: string): RedisScript {
  const sha = createHash('sha1').update(lua).digest('hex');
  redis.script('LOAD', lua).catch(() => {
    // Not reachable yet: the first call loads it.
  });
  return async (keys, args) => {
    try {
      return await redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(lua, keys.length, ...keys, ...args);
    }
  };
}

/**
 * `promise`, or a rejection after `ms`: a Redis that hangs (a partition, a full offline queue) must
 * not hold a stream start; the caller falls back to this instance's own view.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer ${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
