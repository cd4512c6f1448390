import { createServer, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { redisReachable, REDIS_TEST_URL } from '../../test/cluster/cluster-harness';
import { dropKeys, testKeyPrefix } from '../../test/redis-test-server';
import { createRateLimiter, type RateLimitDecision, type RateLimitRule } from './rate-limiter';
import { createRedisRateLimiter } from './redis-rate-limiter';

const ci = process.env.CI === 'true';
const redisUp = await redisReachable();
if (!redisUp && ci) throw new Error(`Redis at ${REDIS_TEST_URL} is not reachable (CI=true): the shared rate limit suite must not be skipped.`);
if (!redisUp) console.warn(`[redis-rate-limiter.test] Redis at ${REDIS_TEST_URL} is not reachable: its suite is skipped (it runs in CI).`);

const logger = pino({ level: 'silent' });
const connections: Redis[] = [];
const prefix = testKeyPrefix('rl');
afterAll(async () => {
  if (connections[0]) await dropKeys(connections[0], prefix);
  for (const c of connections) c.disconnect();
});
const connect = () => {
  const redis = new Redis(REDIS_TEST_URL, { maxRetriesPerRequest: 1 });
  connections.push(redis);
  return redis;
};

describe.runIf(redisUp)('createRedisRateLimiter', () => {
  it('takes the same decisions, with the same headers, as the in-memory limiter (window edge, tokens, settle, several rules)', async () => {
    let t = 120_000;
    const now = () => t;
    const memory = createRateLimiter({ now });
    const shared = createRedisRateLimiter({ redis: connect(), keyPrefix: `${prefix}same:`, now, logger });
    const key: RateLimitRule = { scope: 'key:a', requestsPerMinute: 3, tokensPerMinute: 100 };
    const tenant: RateLimitRule = { scope: 'tenant:t', requestsPerMinute: 5 };
    const steps: Array<{ at: number; rules: RateLimitRule[]; tokens: number; settle?: number }> = [
      { at: 120_000, rules: [key, tenant], tokens: 60, settle: 40 },
      { at: 120_001, rules: [key, tenant], tokens: 41 },
      { at: 150_000, rules: [key, tenant], tokens: 60 },
      { at: 179_999, rules: [key, tenant], tokens: 0 },
      { at: 179_999, rules: [key, tenant], tokens: 0 },
      { at: 179_999, rules: [tenant], tokens: 0 },
      { at: 179_999, rules: [tenant], tokens: 0 },
      { at: 180_000, rules: [key, tenant], tokens: 100 },
      { at: 180_000, rules: [{ scope: 'none' }], tokens: 1e9 },
    ];
    const strip = (d: RateLimitDecision) => ({ allowed: d.allowed, limitedBy: d.limitedBy, scope: d.scope, resetMs: d.resetMs, headers: d.headers });
    for (const step of steps) {
      t = step.at;
      const a = memory.acquire(step.rules, step.tokens);
      const b = await shared.acquire(step.rules, step.tokens);
      expect(strip(b)).toEqual(strip(a));
      if (step.settle !== undefined && a.reservation && b.reservation) {
        memory.settle(a.reservation, step.settle);
        shared.settle(b.reservation, step.settle);
        // Settlement is fire-and-forget; the next acquire on the same connection runs after it.
      }
    }
  });

  it('admits exactly the limit across three instances racing for the last requests of a window', async () => {
    const now = () => 3_600_000;
    const instances = [0, 1, 2].map(() => createRedisRateLimiter({ redis: connect(), keyPrefix: `${prefix}race:`, now, logger }));
    const rules: RateLimitRule[] = [{ scope: 'key:race', requestsPerMinute: 25 }];
    const decisions = await Promise.all(Array.from({ length: 90 }, (_, i) => instances[i % 3]!.acquire(rules, 0)));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(25);
    expect(decisions.filter((d) => !d.allowed).every((d) => d.limitedBy === 'requests' && d.headers['x-ratelimit-remaining-requests'] === '0')).toBe(true);
  });

  it('decides alone, within its timeout, when Redis does not answer', async () => {
    // A server that accepts and never replies: the shape of a hung Redis.
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as { port: number }).port;
    const hung = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0, lazyConnect: true });
    hung.on('error', () => {});
    connections.push(hung);
    const limiter = createRedisRateLimiter({ redis: hung, keyPrefix: `${prefix}hung:`, now: () => 0, timeoutMs: 50, logger });
    const rules: RateLimitRule[] = [{ scope: 'key:h', requestsPerMinute: 1 }];
    expect((await limiter.acquire(rules, 0)).allowed).toBe(true);
    expect(await limiter.acquire(rules, 0)).toMatchObject({ allowed: false, limitedBy: 'requests' });
    hung.disconnect();
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
  });
});
