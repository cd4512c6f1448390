import { Redis } from 'ioredis';

/** The test Redis (CI starts one on 6379). Override with TWIN_TEST_REDIS_URL. */
export const REDIS_TEST_URL = process.env.TWIN_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** True when the test Redis answers a PING within two seconds. */
export async function redisReachable(url = REDIS_TEST_URL): Promise<boolean> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 2_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

/** A key prefix no other test run shares (helpers and parallel runs use one Redis). */
export function testKeyPrefix(name: string): string {
  return `twin-test:${name}:${process.pid}:${Math.random().toString(36).slice(2, 8)}:`;
}

/** Deletes every key under `prefix`. */
export async function dropKeys(redis: Redis, prefix: string): Promise<void> {
  for (let cursor = '0'; ; ) {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    if (keys.length > 0) await redis.del(...keys);
    if (next === '0') return;
    cursor = next;
  }
}
