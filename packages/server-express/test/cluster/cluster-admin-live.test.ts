import { createSimulatedProvider } from '@twin/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, type OpenedDatabase } from '../../src/index';
import { missingRedis } from '../../src/cluster/redis-test-url';
import { fetchJson, openSSE, type SSEReader } from '../read-sse';
import { dropKeys, testKeyPrefix, waitUntil } from '../redis-test-server';
import { openTestDatabase, startTestServer, type TestServer } from '../test-server';
import { REDIS_TEST_URL } from './cluster-harness';

/**
 * The admin views across a cluster: two instances in this process (one PGlite database, one Redis
 * prefix), a stream on A watched from B's console feed, stats and stream detail, each naming the
 * instance that runs it; and a resume relayed by B holding one of the key's cluster-wide slots.
 */
const missing = await missingRedis();
if (missing && process.env.CI === 'true') throw new Error(`${missing} (CI=true): the cluster admin suite must not be skipped.`);

const PER_KEY = 2;
const auth = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });
const streamIdOf = (r: SSEReader) => (r.events[0]!.json as { streamId: string }).streamId;
interface LiveRow {
  id: string;
  instance?: string;
  state: string;
}
const lastLive = (feed: SSEReader) =>
  feed.events.filter((e) => e.event === 'live').at(-1)?.json as unknown as { streams: LiveRow[]; stats: { activeStreams: number; openConnections: number } } | undefined;

describe.skipIf(missing !== undefined)(`admin views across two instances${missing ? ` (skipped: ${missing})` : ''}`, () => {
  const keyPrefix = testKeyPrefix('s12-cadmin');
  let db: OpenedDatabase;
  let a: TestServer;
  let b: TestServer;
  const keys = { admin: '', tenantAdmin: '', member: '', otherAdmin: '' };
  const open: SSEReader[] = [];
  const start = (instanceId: string) =>
    startTestServer(db, {
      instanceId,
      // Long streams: they run for the whole test unless closed.
      providers: [createSimulatedProvider({ tokensPerSecond: 5, outputTokens: 5_000 })],
      service: { cluster: { redisUrl: REDIS_TEST_URL, keyPrefix, instanceId }, detachGraceMs: 60_000, stream: { maxConnectionsPerKey: PER_KEY } },
    });

  beforeAll(async () => {
    db = await openTestDatabase();
    a = await start('a');
    b = await start('b');
    keys.admin = (await createApiKey(a.store, { tenantId: 'acme', role: 'admin' })).key;
    keys.tenantAdmin = (await createApiKey(a.store, { tenantId: 'acme', role: 'tenant-admin' })).key;
    keys.member = (await createApiKey(a.store, { tenantId: 'acme' })).key;
    keys.otherAdmin = (await createApiKey(a.store, { tenantId: 'umbrella', role: 'tenant-admin' })).key;
  }, 60_000);
  afterAll(async () => {
    for (const r of open) r.close();
    await Promise.all([a?.close(), b?.close()]);
    const redis = new Redis(REDIS_TEST_URL);
    await dropKeys(redis, keyPrefix);
    redis.disconnect();
    await db?.close();
  });

  it("shows a stream running on A in B's live feed, stats and stream detail, naming instance a; another tenant sees none of it", async () => {
    const stream = await openSSE(`${a.url}/api/stream?prompt=watched`, auth(keys.member));
    open.push(stream);
    await stream.waitFor((e) => e.some((x) => x.event === 'chunk'));
    const id = streamIdOf(stream);

    const feed = await openSSE(`${b.url}/api/admin/live?intervalMs=250`, auth(keys.tenantAdmin));
    const theirs = await openSSE(`${b.url}/api/admin/live?intervalMs=250`, auth(keys.otherAdmin));
    open.push(feed, theirs);
    await feed.waitFor(() => lastLive(feed)?.streams.some((s) => s.id === id) === true, 15_000);
    const live = lastLive(feed)!;
    expect(live.streams.find((s) => s.id === id)).toMatchObject({ instance: 'a', state: 'streaming' });
    expect(live.stats).toMatchObject({ activeStreams: 1, openConnections: 1 });
    await theirs.waitFor((e) => e.filter((x) => x.event === 'live').length >= 3);
    expect(JSON.stringify(theirs.events)).not.toContain(id);

    // Stats through B: the tenant's counts and, for an admin, the cluster per instance.
    const stats = await fetchJson(`${b.url}/api/stream/stats`, { key: keys.admin });
    expect(stats.status).toBe(200);
    expect(stats.json.tenant).toMatchObject({ activeStreams: 1, openConnections: 1 });
    expect(stats.json.server).toMatchObject({ activeStreams: 1, openConnections: 1 });
    const instances = (stats.json.server.instances as Array<{ instance: string; activeStreams: number; openConnections: number }>).sort((x, y) => x.instance.localeCompare(y.instance));
    expect(instances.map(({ instance, activeStreams, openConnections }) => ({ instance, activeStreams, openConnections }))).toEqual([
      { instance: 'a', activeStreams: 1, openConnections: 1 },
      { instance: 'b', activeStreams: 0, openConnections: 0 },
    ]);
    // A tenant-admin's stats have no server part.
    expect((await fetchJson(`${b.url}/api/stream/stats`, { key: keys.tenantAdmin })).json.server).toBeUndefined();

    // The stream's detail through B: its live row and status from A, as A sees it now.
    const detail = await fetchJson(`${b.url}/api/admin/streams/${id}`, { key: keys.tenantAdmin });
    expect(detail.status).toBe(200);
    expect(detail.json).toMatchObject({ streamId: id, status: 'streaming', live: { id, instance: 'a', state: 'streaming' } });
    expect(detail.json.metrics.eventsSent).toBeGreaterThan(0);
    expect((await fetchJson(`${b.url}/api/admin/streams/${id}`, { key: keys.otherAdmin })).status).toBe(404);

    // Closed: its row leaves B's feed.
    expect((await fetchJson(`${b.url}/api/stream/${id}`, { method: 'DELETE', key: keys.member })).status).toBe(200);
    await feed.waitFor(() => lastLive(feed)?.streams.some((s) => s.id === id) === false, 15_000);
  });

  it("counts a resume relayed by B against the key's cluster-wide cap, and frees its slot when it closes", async () => {
    const member = (await createApiKey(a.store, { tenantId: 'acme' })).key;
    const first = await openSSE(`${a.url}/api/stream?prompt=one`, auth(member));
    const second = await openSSE(`${a.url}/api/stream?prompt=two`, auth(member));
    open.push(first, second);
    expect([first.status, second.status]).toEqual([200, 200]);
    await second.waitFor((e) => e.some((x) => x.event === 'chunk'));
    const id = streamIdOf(second);
    // Its client goes (the stream waits for a resume): A gives its slot back.
    second.close();
    await waitUntil(async () => (await fetchJson(`${a.url}/api/stream/stats`, { key: keys.admin })).json.server.openConnections === 1, "second's connection to close on A");

    // The resume lands on B, which relays A's stream: one of the key's two slots.
    const relayed = await openSSE(`${b.url}/api/stream?streamId=${id}&lastEventId=0`, auth(member));
    open.push(relayed);
    expect(relayed.status).toBe(200);
    await relayed.waitFor((e) => e.some((x) => x.event === 'chunk'));
    const refused = await openSSE(`${a.url}/api/stream?prompt=three`, auth(member));
    open.push(refused);
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');

    // The relay's client goes: its slot is back.
    relayed.close();
    let third: SSEReader | undefined;
    await waitUntil(async () => {
      const r = await openSSE(`${a.url}/api/stream?prompt=three`, auth(member));
      open.push(r);
      if (r.status === 200) third = r;
      else r.close();
      return third !== undefined;
    }, "the relay's slot to be free");
    expect(third!.status).toBe(200);
  });
});
