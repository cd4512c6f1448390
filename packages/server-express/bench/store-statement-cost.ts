/**
 * What a paced request's rows cost the embedded database, by statement kind, with the timing out of
 * the picture: the real store (createTwinStore over the worker's Drizzle glue) on a PGlite run in
 * THIS thread behind a stand-in of the worker client, so every statement's CPU is this thread's
 * (schedstat, ns) and nothing else runs meanwhile. Each "request" pushes what a paced TTFB probe
 * leaves behind (its billing opening, connection row, `stream.start` event, one audit segment, its
 * ending through persistStreamEnd, which adds `stream.end`), REQUESTS of them every INTERVAL_MS on
 * a fake clock: the batch writers' timers run as they would, only faster. Prints statements
 * (worker messages) and CPU per request by kind.
 *
 * `pnpm exec tsx bench/store-statement-cost.ts` in packages/server-express. Knobs: REQUESTS (2,000),
 * PER_TICK (requests per INTERVAL_MS, 1), INTERVAL_MS (10), ROUNDS (3: medians).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite, types } from '@electric-sql/pglite';
import { openBillingRecord, finalizeBillingRecord } from '@twin/core';
import pino from 'pino';
import type { PgliteWorkerClient } from '../src/storage/pglite-worker-client';
import type { TwinDatabase } from '../src/storage/open-database';
import type * as TwinStoreModule from '../src/storage/twin-store';
import type * as DrizzleGlue from '../src/storage/pglite-worker-drizzle';
import type * as OpeningsJournal from '../src/storage/openings-journal';
import type * as Schema from '../src/storage/schema';
import type * as PersistStreamEnd from '../src/stream/persist-stream-end';
import { stampedSegmentRow } from './stamped-segment-row';
import { PreparedStatements } from '../src/storage/pglite-prepared';
import { pgliteTemplate } from '../test/pglite-template';

// STORE_SRC: another worktree's src (its store and glue, over this bench's stand-in of the worker, which
// runs `fixedQuery` as the worker does: prepared), for an A/B of two commits.
const src = process.env.STORE_SRC ?? new URL('../src', import.meta.url).pathname;
const { createTwinStore } = (await import(`${src}/storage/twin-store.ts`)) as typeof TwinStoreModule;
const { drizzleOverWorker } = (await import(`${src}/storage/pglite-worker-drizzle.ts`)) as typeof DrizzleGlue;
const { journalOpeningsOf } = (await import(`${src}/storage/openings-journal.ts`)) as typeof OpeningsJournal;
const { schema } = (await import(`${src}/storage/schema.ts`)) as typeof Schema;
const { persistStreamEnd } = (await import(`${src}/stream/persist-stream-end.ts`)) as typeof PersistStreamEnd;

const REQUESTS = Number(process.env.REQUESTS ?? 2_000);
const INTERVAL_MS = Number(process.env.INTERVAL_MS ?? 10);
const ROUNDS = Number(process.env.ROUNDS ?? 3);

const threadNanos = () => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);
const raw = (value: string) => value;

async function round(): Promise<{ perKind: Map<string, { n: number; ns: number }>; requests: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'twin-stmt-cost-'));
  const pg = await PGlite.create({
    dataDir: join(dir, 'pglite'),
    loadDataDir: new Blob([readFileSync(await pgliteTemplate())]),
    startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'],
  });
  Object.assign(pg.parsers, { [types.TIMESTAMP]: raw, [types.TIMESTAMPTZ]: raw, [types.INTERVAL]: raw, [types.DATE]: raw });
  const perKind = new Map<string, { n: number; ns: number }>();
  let counting = false;
  // One statement at a time, as the worker runs them: each one's window holds its own CPU only.
  let turn: Promise<unknown> = Promise.resolve();
  const timed = <T>(sql: string | undefined, op: string, run: () => Promise<T>): Promise<T> => {
    const mine = turn.then(() => timedNow(sql, op, run));
    turn = mine.catch(() => {});
    return mine;
  };
  const timedNow = async <T>(sql: string | undefined, op: string, run: () => Promise<T>): Promise<T> => {
    const kind = sql === undefined ? op : sql.trimStart().replace(/\s+/g, ' ').split(' (')[0]!.slice(0, 48);
    const from = threadNanos();
    try {
      return await run();
    } finally {
      if (counting) {
        const k = perKind.get(kind) ?? { n: 0, ns: 0 };
        k.n++;
        k.ns += threadNanos() - from;
        perKind.set(kind, k);
      }
    }
  };
  const rows = (mode: string) => ({ rowMode: mode === 'all' ? 'array' : 'object' }) as const;
  const prepared = new PreparedStatements(pg);
  const client: PgliteWorkerClient = {
    threadId: undefined,
    query: (sql, params, mode) => timed(sql, 'query', async () => (await pg.query(sql, params, rows(mode))).rows),
    fixedQuery: (sql, params) => timed(sql, 'query', () => prepared.query(sql, params, 'object')),
    urgentQuery: (sql, params, mode) => timed(sql, 'query', async () => (await pg.query(sql, params, rows(mode))).rows),
    copyFrom: (sql, data) => timed(sql, 'copy', async () => void (await pg.query(sql, [], { blob: new Blob([data]) }))),
    begin: () => Promise.reject(new Error('no transactions here')),
    commit: () => Promise.reject(new Error('no transactions here')),
    rollback: () => Promise.reject(new Error('no transactions here')),
    close: () => pg.close(),
  };
  const db = drizzleOverWorker(client, schema) as unknown as TwinDatabase;
  journalOpeningsOf(db, join(dir, 'openings'));
  const store = createTwinStore(db, {});
  const logger = pino({ level: 'silent' });
  const tenantId = 'ten_bench';
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const one = (i: number) => {
    const streamId = `str_${process.pid}_${i}`;
    const startedAt = new Date();
    const open = openBillingRecord({ streamId, tenantId, provider: 'simulated', model: 'sim-1', startedAt, currency: 'USD', apiKeyId: 'key_1' });
    store.openings.push(open);
    store.connectionsOpened.push({ id: streamId, tenantId, apiKeyId: 'key_1', provider: 'simulated', model: 'sim-1', purpose: null, status: 'streaming', createdAt: startedAt, lastSeq: 0, metadata: null });
    store.events.push({ streamId, tenantId, type: 'stream.start', data: { provider: 'simulated', model: 'sim-1', inputTokens: 3 }, createdAt: startedAt });
    store.chunks.push(stampedSegmentRow(streamId, 1, 2));
    const endedAt = new Date();
    const record = finalizeBillingRecord(open, {
      endReason: 'client_abort',
      endedAt,
      metered: { durationMs: 3, bytes: 420, connections: 1, usage: { inputTokens: 3, outputTokens: 1 } },
      bill: {
        currency: 'USD', usageEstimated: true, usageMissing: false, unpriced: false,
        lines: { tokenCost: '0.0000021', discount: '0', streaming: '0.00000001', bandwidthPremium: '0', infrastructure: '0', subtotal: '0.00000211', slaPenalty: '0', slaBreaches: [], taxes: [], total: '0.00000211' },
      } as never,
    });
    const metrics = { firstTokenAt: startedAt.getTime() + 1, ttftMs: 1.2, durationMs: 3, bytesSent: 420, eventsSent: 2, reconnects: 0 };
    void persistStreamEnd({
      store,
      logger,
      stream: { id: streamId, tenantId, apiKeyId: 'key_1', purpose: undefined, createdAt: startedAt, status: 'cancelled', lastSeq: 2 },
      snapshot: { metrics, buffer: { size: 2, first: 1, last: 2 } } as never,
      record: record as never,
      metadata: undefined,
    });
  };
  // Warm-up (PGlite's caches, the JIT), then the counted requests.
  for (let i = 0; i < 300; i++) {
    one(-1 - i);
    await sleep(INTERVAL_MS);
  }
  await store.flush();
  await sleep(100);
  await store.flush();
  counting = true;
  for (let i = 0; i < REQUESTS; i++) {
    one(i);
    await sleep(INTERVAL_MS);
  }
  await store.flush();
  await sleep(100);
  await store.flush();
  counting = false;
  await store.close();
  await pg.close();
  rmSync(dir, { recursive: true, force: true });
  return { perKind, requests: REQUESTS };
}

const runs: Array<Map<string, { n: number; ns: number }>> = [];
for (let r = 0; r < ROUNDS; r++) {
  const { perKind } = await round();
  runs.push(perKind);
  const total = [...perKind.values()].reduce((a, k) => ({ n: a.n + k.n, ns: a.ns + k.ns }), { n: 0, ns: 0 });
  console.log(
    `round ${r + 1}: per request ${(total.n / REQUESTS).toFixed(3)} statements, ${(total.ns / REQUESTS / 1e3).toFixed(1)} µs CPU; by kind: ` +
      [...perKind.entries()]
        .sort((a, b) => b[1].ns - a[1].ns)
        .map(([k, v]) => `${k}: ${(v.n / REQUESTS).toFixed(3)}/req, ${(v.ns / v.n / 1e3).toFixed(0)} µs each, ${(v.ns / REQUESTS / 1e3).toFixed(1)} µs/req`)
        .join('; '),
  );
}
process.exit(0);
