import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropKeys, testKeyPrefix } from '../../test/redis-test-server';
import type { LiveStreamSummary } from '../admin/admin-api-types';
import { joinCluster, type ClusterNode } from './cluster-node';
import { LiveBoard, type LiveBoardSource } from './live-board';
import { missingRedis } from './redis-test-url';

const missing = await missingRedis();
if (missing && process.env.CI === 'true') throw new Error(`${missing} (CI=true): the live board suite must not be skipped.`);

const row = (id: string, tenantId: string): LiveStreamSummary => ({
  id,
  tenantId,
  apiKeyId: 'k',
  provider: 'simulated',
  model: 'sim-1',
  state: 'streaming',
  startedAt: 0,
  ageMs: 1_000,
  outputTokens: 10,
  tokensEstimated: true,
  bytes: 100,
  events: 5,
  reconnects: 0,
  backpressureEvents: 0,
});

/** An instance's streams as the board reads them: `streams` by tenant, and how often rows were built. */
function source(streams: Record<string, LiveStreamSummary[]>): LiveBoardSource & { rowsBuilt: string[] } {
  const rowsBuilt: string[] = [];
  return {
    rowsBuilt,
    load: () => ({ activeStreams: Object.values(streams).flat().length, openConnections: Object.values(streams).flat().length }),
    countsByTenant: () => new Map(Object.entries(streams).map(([t, rows]) => [t, { streams: rows.length, connections: rows.filter((r) => r.state !== 'detached').length }])),
    rows: (tenantId) => {
      rowsBuilt.push(tenantId);
      return streams[tenantId] ?? [];
    },
  };
}

describe.skipIf(missing !== undefined)(`the live board${missing ? ` (skipped: ${missing})` : ''}`, () => {
  const logger = pino({ level: 'silent' });
  const keyPrefix = testKeyPrefix('s12-cadmin-board');
  const nodes: ClusterNode[] = [];
  let clock = 1_000_000;
  const now = () => clock;
  const join = async (instanceId: string) => {
    const node = await joinCluster({ redisUrl: process.env.TWIN_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379', keyPrefix, instanceId }, logger);
    nodes.push(node);
    return node;
  };

  beforeAll(async () => {
    await join('a');
    await join('b');
  });
  afterAll(async () => {
    await dropKeys(nodes[0]!.redis, keyPrefix);
    await Promise.all(nodes.map((n) => n.close()));
  });

  it("shows each instance's counts to the others, and a watched tenant's rows naming their instance; rows are built only for watched tenants", async () => {
    const [a, b] = nodes as [ClusterNode, ClusterNode];
    const onA = source({ acme: [row('str_1', 'acme'), { ...row('str_2', 'acme'), state: 'detached' }], other: [row('str_3', 'other')] });
    const onB = source({});
    const boardA = new LiveBoard(a, { source: onA, intervalMs: 1_000, ttlMs: 3_000, now, logger });
    const boardB = new LiveBoard(b, { source: onB, intervalMs: 1_000, ttlMs: 3_000, now, logger });
    await Promise.all([boardA.publish(), boardB.publish()]);
    expect(onA.rowsBuilt).toEqual([]);

    const seen = await boardB.others('acme', true);
    expect(seen).toEqual([{ instance: 'a', activeStreams: 3, openConnections: 3, at: clock, tenant: { streams: 2, connections: 1 }, rows: [] }]);
    // B's console watches acme: A's next publication carries acme's rows (and only acme's).
    await boardB.watch('acme');
    clock += 1_000;
    await boardA.publish();
    expect(onA.rowsBuilt).toEqual(['acme']);
    const rows = (await boardB.others('acme', true))[0]!.rows;
    expect(rows.map((r) => [r.id, r.instance])).toEqual([
      ['str_1', 'a'],
      ['str_2', 'a'],
    ]);
    // Another tenant asking sees its own counts only, never acme's rows.
    expect(await boardB.others('other', true)).toMatchObject([{ instance: 'a', tenant: { streams: 1, connections: 1 }, rows: [] }]);
    // An instance never lists itself among the others.
    expect((await boardA.others('acme')).map((o) => o.instance)).toEqual(['b']);
  });

  it('drops an instance that stopped publishing once its publication is older than the TTL, and one that stopped cleanly at once', async () => {
    const [a, b] = nodes as [ClusterNode, ClusterNode];
    const c = await join('c');
    const boardA = new LiveBoard(a, { source: source({ acme: [row('str_9', 'acme')] }), ttlMs: 3_000, now, logger });
    const boardB = new LiveBoard(b, { source: source({}), ttlMs: 3_000, now, logger });
    const boardC = new LiveBoard(c, { source: source({ acme: [row('str_c', 'acme')] }), ttlMs: 3_000, now, logger });
    await Promise.all([boardA.publish(), boardB.publish(), boardC.publish()]);
    expect((await boardB.others('acme')).map((o) => o.instance).sort()).toEqual(['a', 'c']);
    // C stops cleanly: off the board at once.
    await boardC.stop();
    clock += 300; // past the shared read's quarter second
    expect((await boardB.others('acme')).map((o) => o.instance)).toEqual(['a']);
    // A dies (publishes no more): still shown within its TTL, gone after it.
    clock += 2_600;
    await boardB.publish();
    expect((await boardB.others('acme')).map((o) => o.instance)).toEqual(['a']);
    clock += 400; // past A's expiry (and the shared read)
    await boardB.publish();
    expect(await boardB.others('acme')).toEqual([]);
    // Its members entry is cleaned by the next publication of a survivor.
    expect(await b.redis.zscore(`${keyPrefix}live:members`, 'a')).toBeNull();
  });
});
