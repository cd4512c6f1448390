import { Redis } from 'ioredis';

/** Why the Redis tests cannot run here (undefined: Redis at TWIN_TEST_REDIS_URL or 127.0.0.1:6379 answers). */
export async function missingRedis(url = process.env.TWIN_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'): Promise<string | undefined> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 2_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
    return undefined;
  } catch {
    return `Redis is not reachable at ${url}`;
  } finally {
    redis.disconnect();
  }
}
