import { PGlite } from '@electric-sql/pglite';
import { asc, eq, sql } from 'drizzle-orm';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { migrationsFolder, openDatabase, type OpenedDatabase, type TwinDatabase } from '../src/index';
import { EmbeddedDatabaseError } from '../src/storage/pglite-worker-client';
import { urgentLane } from '../src/storage/pglite-worker-drizzle';
import { FixedQuery, fixedStatement } from '../src/storage/fixed-statement';
import { apiKeys, schema, streamBillingRecords, streamEvents } from '../src/storage/schema';

// The embedded database runs in a worker thread behind drizzle-orm/pg-proxy. These tests hold it
// to what the app got from PGlite on the main thread (drizzle-orm/pglite), which they open as the
// reference, and to the transaction, error and shutdown behaviour the store relies on.

const key = (id: string) => ({ id, tenantId: 't1', name: id, keyHash: `hash-${id}`, prefix: id.slice(0, 4) });

/** One billing record using every column type of the schema (text, integer, bigint, boolean, numeric, jsonb, timestamptz) and nulls. */
const record = {
  id: 'bill_1',
  streamId: 'str_1',
  idempotencyKey: 'idem_1',
  tenantId: 't1',
  apiKeyId: null,
  provider: 'simulated',
  model: 'sim-1',
  state: 'final',
  startedAt: new Date('2026-03-01T12:34:56.789Z'),
  endedAt: new Date('2026-03-01T12:35:00.001Z'),
  inputTokens: 2_147_483_647,
  outputTokens: 0,
  usageEstimated: true,
  usageMissing: false,
  durationMs: 3212,
  bytes: 9_007_199_254_740_991,
  currency: 'EUR',
  exchangeRate: { from: 'USD', to: 'EUR', rate: '0.92' },
  tokenCost: '12345678901234567890.123456789012345678',
  discount: '-0.000000000000000001',
  total: '0',
  lines: { taxes: [{ amount: '0.1', ratePercent: '10' }], nested: { ok: true, n: 1.5, none: null }, text: 'é "quoted" \\ ✓' },
};

async function roundTrip(db: TwinDatabase) {
  await db.insert(streamBillingRecords).values(record);
  await db.insert(streamEvents).values([
    { streamId: 'str_1', type: 'start', data: { a: 1 }, createdAt: record.startedAt },
    { streamId: 'str_1', type: 'end', data: null, createdAt: record.endedAt },
  ]);
  const [selected] = await db.select().from(streamBillingRecords).where(eq(streamBillingRecords.id, 'bill_1'));
  const partial = await db
    .select({ total: streamBillingRecords.total, ended: streamBillingRecords.endedAt, sum: sql<string>`${streamBillingRecords.tokenCost} + 1`, n: sql<number>`count(*) over ()` })
    .from(streamBillingRecords);
  const events = await db.select().from(streamEvents).orderBy(asc(streamEvents.id));
  const relational = await db.query.streamBillingRecords.findFirst({ columns: { id: true, startedAt: true, lines: true } });
  const updated = await db.update(streamBillingRecords).set({ total: '1.50' }).where(eq(streamBillingRecords.id, 'bill_1')).returning({ total: streamBillingRecords.total });
  const executed = await db.execute(sql`select id, started_at, token_cost, bytes, usage_estimated, exchange_rate from ${streamBillingRecords}`);
  return { selected, partial, events, relational, updated, executedRows: Array.isArray(executed) ? executed : (executed as { rows: unknown[] }).rows };
}

describe('PGlite in a worker thread', () => {
  let opened: OpenedDatabase;
  let reference: PGlite;
  beforeAll(async () => {
    opened = await openDatabase({ dataDir: 'memory://' });
    reference = await PGlite.create('memory://');
    await migratePglite(drizzlePglite(reference, { schema }), { migrationsFolder: migrationsFolder() });
  });
  afterAll(async () => {
    await opened?.close();
    await reference?.close();
  });

  it('returns every column type exactly as drizzle-orm/pglite on the main thread did (Date, numeric string, bigint number, jsonb object, boolean, null)', async () => {
    const viaWorker = await roundTrip(opened.db);
    const onMainThread = await roundTrip(drizzlePglite(reference, { schema }) as unknown as TwinDatabase);
    expect(viaWorker).toEqual(onMainThread);

    const row = viaWorker.selected!;
    expect(row.startedAt).toBeInstanceOf(Date);
    expect(row.startedAt.toISOString()).toBe('2026-03-01T12:34:56.789Z');
    expect(row.endedAt!.toISOString()).toBe('2026-03-01T12:35:00.001Z');
    expect(row.tokenCost).toBe('12345678901234567890.123456789012345678');
    expect(row.discount).toBe('-0.000000000000000001');
    expect(row.bytes).toBe(9_007_199_254_740_991);
    expect(row.inputTokens).toBe(2_147_483_647);
    expect(row.usageEstimated).toBe(true);
    expect(row.apiKeyId).toBeNull();
    expect(row.exchangeRate).toEqual(record.exchangeRate);
    expect(row.lines).toEqual(record.lines);
    expect(viaWorker.events.map((e) => [e.id, e.data])).toEqual([
      [1, { a: 1 }],
      [2, null],
    ]);
    expect(viaWorker.partial[0]!.ended).toBeInstanceOf(Date);
    expect(viaWorker.updated).toEqual([{ total: '1.50' }]);
    // Raw db.execute: object rows; timestamps stay Postgres text, as drizzle-orm/pglite left them.
    expect(viaWorker.executedRows).toEqual([
      { id: 'bill_1', started_at: '2026-03-01 12:34:56.789+00', token_cost: record.tokenCost, bytes: 9_007_199_254_740_991, usage_estimated: true, exchange_rate: record.exchangeRate },
    ]);
  });

  it('runs a fixed statement from its text and parameters, without Drizzle, with the rows Drizzle gives (both lanes)', async () => {
    const insert = fixedStatement(3, (id, tenantId, at) => sql`insert into ${apiKeys} (id, tenant_id, name, key_hash, prefix, created_at)
      values (${id}, ${tenantId}, ${id}, ${id}, 'p', ${at}::timestamptz) returning id, tenant_id, created_at`);
    const at = new Date('2026-03-01T12:34:56.789Z');
    const built = vi.spyOn(FixedQuery.prototype, 'getSQL');
    try {
      const plain = await opened.db.execute(insert('fixed-1', 't1', at));
      const urgent = await urgentLane(opened.db).execute(insert('fixed-2', 't1', at.toISOString()));
      // The worker got the text and parameters as they are: no Drizzle SQL was built for them.
      expect(built).not.toHaveBeenCalled();
      const reference1 = await drizzlePglite(reference, { schema }).execute(insert('fixed-1', 't1', at));
      expect(built).toHaveBeenCalledTimes(1);
      expect(plain).toEqual(reference1.rows);
      expect(urgent).toEqual([{ id: 'fixed-2', tenant_id: 't1', created_at: '2026-03-01 12:34:56.789+00' }]);
    } finally {
      built.mockRestore();
      await opened.db.delete(apiKeys);
      await drizzlePglite(reference, { schema }).delete(apiKeys);
    }
  });

  it('runs Postgres with the small shared buffer pool that keeps its resident memory down', async () => {
    expect(await opened.db.execute(sql`show shared_buffers`)).toEqual([{ shared_buffers: '16MB' }]);
  });

  it('runs a transaction alone: a query issued while it is open waits, is not lost, and is not undone by its rollback', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let inserted!: () => void;
    const firstInsert = new Promise<void>((resolve) => (inserted = resolve));
    const transaction = opened.db.transaction(async (tx) => {
      await tx.insert(apiKeys).values(key('in-tx-1'));
      inserted();
      await gate;
      await tx.insert(apiKeys).values(key('in-tx-2'));
      // Sees its own uncommitted rows.
      expect((await tx.select().from(apiKeys)).map((k) => k.id).sort()).toEqual(['in-tx-1', 'in-tx-2']);
      tx.rollback();
    });
    await firstInsert;
    // Sent to the worker while the transaction is open (it holds the only connection). Drizzle's
    // builders are lazy: execute() sends now, and one turn of the loop lets both messages go out
    // before the transaction's next statements.
    const outsideWrite = opened.db.insert(apiKeys).values(key('outside')).execute();
    const outsideRead = opened.db.select().from(apiKeys).execute();
    await new Promise((resolve) => setImmediate(resolve));
    release();
    await expect(transaction).rejects.toThrow(/rollback/i);
    await outsideWrite;
    // The read ran after the rollback, never inside the transaction: it saw none of its rows.
    expect((await outsideRead).map((k) => k.id)).not.toContain('in-tx-1');
    expect((await opened.db.select().from(apiKeys)).map((k) => k.id)).toEqual(['outside']);
    await opened.db.delete(apiKeys);
  });

  it('runs a statement of the urgent lane ahead of those waiting for their turn, after the one running', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let began!: () => void;
    const running = new Promise<void>((resolve) => (began = resolve));
    // An open transaction is the statement running: everything else waits for it to end.
    const transaction = opened.db.transaction(async (tx) => {
      await tx.execute(sql`select 1`);
      began();
      await gate;
    });
    await running;
    const done: string[] = [];
    const track = (name: string, query: Promise<unknown>) => query.then(() => done.push(name));
    const waiting = [track('first', opened.db.execute(sql`select 1`)), track('second', opened.db.insert(apiKeys).values(key('queued')).execute())];
    const urgent = track('urgent', urgentLane(opened.db).insert(apiKeys).values(key('urgent')).execute());
    // All three reach the worker before the transaction ends (messages arrive in order).
    await new Promise((resolve) => setImmediate(resolve));
    release();
    await transaction;
    await Promise.all([...waiting, urgent]);
    expect(done).toEqual(['urgent', 'first', 'second']);
    expect((await opened.db.select().from(apiKeys)).map((k) => k.id).sort()).toEqual(['queued', 'urgent']);
    await opened.db.delete(apiKeys);
  });

  it('runs an urgent statement ahead of plain ones sent before it, when a plain statement (not a transaction) is running', async () => {
    // PGlite runs a statement start to end in microtasks: a worker that started the next statement
    // as soon as its message came in (or the previous one ended) ran every plain statement already
    // sent before it even received the urgent one.
    const heavy = sql`select count(*) from generate_series(1, 200000)`;
    const done: string[] = [];
    const track = (name: string, query: Promise<unknown>) => query.then(() => done.push(name));
    const all = [
      track('heavy', opened.db.execute(heavy)),
      track('first', opened.db.execute(sql`select 1`)),
      track('second', opened.db.execute(sql`select 2`)),
      track('urgent', urgentLane(opened.db).execute(sql`select 3`)),
    ];
    await Promise.all(all);
    expect(done.indexOf('urgent')).toBeLessThan(done.indexOf('first'));
    expect(done.slice(-2)).toEqual(['first', 'second']);
  });

  it('commits a transaction, with a nested one rolled back to its savepoint', async () => {
    await opened.db.transaction(async (tx) => {
      await tx.insert(apiKeys).values(key('kept'));
      await expect(
        tx.transaction(async (inner) => {
          await inner.insert(apiKeys).values(key('undone'));
          throw new Error('inner failure');
        }),
      ).rejects.toThrow('inner failure');
    });
    expect((await opened.db.select().from(apiKeys)).map((k) => k.id)).toEqual(['kept']);
    await opened.db.delete(apiKeys);
  });

  it('passes Postgres errors to the main thread with their SQLSTATE code and constraint; a failing transaction is rolled back', async () => {
    await opened.db.insert(apiKeys).values(key('dup'));
    const error = await opened.db.insert(apiKeys).values(key('dup')).catch((e: unknown) => e);
    const cause = (error as Error).cause as EmbeddedDatabaseError;
    expect(cause).toBeInstanceOf(EmbeddedDatabaseError);
    expect(cause.code).toBe('23505');
    expect(cause.constraint).toBe('twin_api_keys_pkey');
    expect(cause.message).toMatch(/duplicate key/);

    await expect(
      opened.db.transaction(async (tx) => {
        await tx.insert(apiKeys).values(key('before-dup'));
        await tx.insert(apiKeys).values(key('dup'));
      }),
    ).rejects.toMatchObject({ cause: { code: '23505' } });
    expect((await opened.db.select().from(apiKeys)).map((k) => k.id)).toEqual(['dup']);
    // The connection is usable again after the failed transaction.
    await opened.db.delete(apiKeys);
  });
});
