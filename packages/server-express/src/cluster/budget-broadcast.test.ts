import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { redisReachable, REDIS_TEST_URL } from '../../test/cluster/cluster-harness';
import { testKeyPrefix, waitUntil } from '../../test/redis-test-server';
import { shareBudgetVerdicts } from './budget-broadcast';
import { ClusterBus } from './cluster-bus';

const ci = process.env.CI === 'true';
const redisUp = await redisReachable();
if (!redisUp && ci) throw new Error(`Redis at ${REDIS_TEST_URL} is not reachable (CI=true): the budget broadcast suite must not be skipped.`);
if (!redisUp) console.warn(`[budget-broadcast.test] Redis at ${REDIS_TEST_URL} is not reachable: its suite is skipped (it runs in CI).`);

const connections: Redis[] = [];
afterAll(() => {
  for (const c of connections) c.disconnect();
});

/** One instance: its bus on real Redis connections and the verdicts it was told to drop. */
async function instance(channel: string, instanceId: string) {
  const redis = new Redis(REDIS_TEST_URL);
  const subscriber = new Redis(REDIS_TEST_URL);
  connections.push(redis, subscriber);
  const forgotten: string[] = [];
  const shared = await shareBudgetVerdicts({ bus: new ClusterBus({ redis, subscriber }, pino({ level: 'silent' })), channel, instanceId, guard: { forget: (t) => void forgotten.push(t) }, logger: pino({ level: 'silent' }) });
  return { shared, forgotten };
}

describe.runIf(redisUp)('shareBudgetVerdicts', () => {
  it('tells every other instance to read a used-up budget again, once: the re-reads it causes are not told back', async () => {
    const channel = `${testKeyPrefix('budget')}budget`;
    const [a, b, c] = [await instance(channel, 'a'), await instance(channel, 'b'), await instance(channel, 'c')];
    a.shared.exceeded('acme');
    await waitUntil(() => b.forgotten.length === 1 && c.forgotten.length === 1, 'b and c to drop acme');
    expect([b.forgotten, c.forgotten]).toEqual([['acme'], ['acme']]);
    // b and c re-read and find it used up too: not news, nothing published (no ping-pong).
    b.shared.exceeded('acme');
    c.shared.exceeded('acme');
    // A budget changed on c goes out whatever happened before; a marker message shows delivery order.
    c.shared.changed('acme');
    await waitUntil(() => a.forgotten.length === 1 && b.forgotten.length === 2, 'the change to reach a and b');
    expect(a.forgotten).toEqual(['acme']);
    expect(b.forgotten).toEqual(['acme', 'acme']);
    expect(c.forgotten).toEqual(['acme']);
  });
});
