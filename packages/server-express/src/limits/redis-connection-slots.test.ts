import { createServer, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { redisReachable, REDIS_TEST_URL } from '../../test/cluster/cluster-harness';
import { dropKeys, testKeyPrefix, waitUntil } from '../../test/redis-test-server';
import { createRedisConnectionSlots, type ConnectionSlot, type ConnectionSlots } from './redis-connection-slots';

const ci = process.env.CI === 'true';
const redisUp = await redisReachable();
if (!redisUp && ci) throw new Error(`Redis at ${REDIS_TEST_URL} is not reachable (CI=true): the connection slot suite must not be skipped.`);
if (!redisUp) console.warn(`[redis-connection-slots.test] Redis at ${REDIS_TEST_URL} is not reachable: its suite is skipped (it runs in CI).`);

const logger = pino({ level: 'silent' });
const connections: Redis[] = [];
const stores: ConnectionSlots[] = [];
const prefix = testKeyPrefix('slots');
afterAll(async () => {
  for (const s of stores) s.stop();
  if (connections[0]) await dropKeys(connections[0], prefix);
  for (const c of connections) c.disconnect();
});
function instance(keyPrefix: string, instanceId: string, ttlMs = 60_000): ConnectionSlots {
  const redis = new Redis(REDIS_TEST_URL, { maxRetriesPerRequest: 1 });
  connections.push(redis);
  const slots = createRedisConnectionSlots({ redis, keyPrefix, instanceId, ttlMs, syncMs: 0, logger });
  stores.push(slots);
  return slots;
}
const isSlot = (x: ConnectionSlot | string): x is ConnectionSlot => typeof x !== 'string';

describe.runIf(redisUp)('createRedisConnectionSlots', () => {
  it('gives exactly the per-key cap across three instances racing, the global cap across keys, and a released slot to the next taker', async () => {
    const p = `${prefix}exact:`;
    const cluster = [instance(p, 'a'), instance(p, 'b'), instance(p, 'c')];
    const caps = { global: 12, perKey: 7 };
    const first = await Promise.all(Array.from({ length: 30 }, (_, i) => cluster[i % 3]!.take('key-1', caps)));
    const taken = first.filter(isSlot);
    expect(taken).toHaveLength(7);
    expect(first.filter((r) => r === 'per_key')).toHaveLength(23);
    const other = await Promise.all(Array.from({ length: 9 }, (_, i) => cluster[i % 3]!.take('key-2', caps)));
    expect(other.filter(isSlot)).toHaveLength(5);
    expect(other.filter((r) => r === 'global')).toHaveLength(4);
    expect(cluster.reduce((n, s) => n + s.held.all, 0)).toBe(12);
    taken[0]!.release();
    taken[0]!.release(); // twice is once
    expect(await cluster[2]!.take('key-2', caps)).toSatisfy(isSlot);
    expect(await cluster[1]!.take('key-1', caps)).toBe('global');
  });

  it("frees a dead instance's slots once its ownership expires, without anyone cleaning up", async () => {
    const p = `${prefix}dead:`;
    const dying = instance(p, 'dying', 300);
    const survivor = instance(p, 'survivor');
    const caps = { global: 100, perKey: 3 };
    for (let i = 0; i < 3; i++) expect(await dying.take('k', caps)).toSatisfy(isSlot);
    expect(await survivor.take('k', caps)).toBe('per_key');
    // No heartbeat from `dying` any more: its slots go when its ownership expires (Redis' clock).
    let got: ConnectionSlot | string = 'per_key';
    await waitUntil(async () => isSlot((got = await survivor.take('k', caps))), 'the dead instance’s slots to expire');
    expect(got).toSatisfy(isSlot);
  });

  it('heals from a Redis that lost its keys (a restart) at the next heartbeat', async () => {
    const p = `${prefix}heal:`;
    const a = instance(p, 'a');
    const b = instance(p, 'b');
    const caps = { global: 100, perKey: 2 };
    expect(await a.take('k', caps)).toSatisfy(isSlot);
    expect(await a.take('k', caps)).toSatisfy(isSlot);
    expect(await b.take('k', caps)).toBe('per_key');
    await dropKeys(connections[0]!, p);
    // Until `a`'s heartbeat, the cluster undercounts: this take is the over-admission a restart allows.
    const over = await b.take('k', caps);
    expect(over).toSatisfy(isSlot);
    await a.sync();
    await b.sync();
    expect(await b.take('k', caps)).toBe('per_key');
    (over as ConnectionSlot).release();
    expect(await b.take('k', caps)).toBe('per_key');
  });

  it('counts the slot here only, within its timeout, when Redis does not answer', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const hung = new Redis({ port: (silent.address() as { port: number }).port, host: '127.0.0.1', maxRetriesPerRequest: 0, lazyConnect: true });
    hung.on('error', () => {});
    connections.push(hung);
    const slots = createRedisConnectionSlots({ redis: hung, keyPrefix: `${prefix}hung:`, instanceId: 'h', syncMs: 0, timeoutMs: 50, logger });
    const slot = await slots.take('k', { global: 1, perKey: 1 });
    expect(slot).toSatisfy(isSlot);
    expect(slots.held.all).toBe(1);
    (slot as ConnectionSlot).release();
    expect(slots.held.all).toBe(0);
    hung.disconnect();
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
  });
});
