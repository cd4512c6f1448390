import { sql } from 'drizzle-orm';
import { billingIdempotencyKey } from '@twin/core';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  queryUsageReport,
  createPricingBook,
  createTwinStore,
  reconcileOpenRecords,
  tables,
  type OpenedDatabase,
  type TwinStore,
} from '../src/index';
import { finalRecordOf, openRecordOf, type RecordEnd } from './billing-fixtures';
import { openPostgresTestDatabase, postgresReachable, POSTGRES_TEST_URL } from './postgres-test-database';
import { openTestDatabase } from './test-server';

const ci = process.env.CI === 'true';
const pgUp = await postgresReachable();
if (!pgUp && !ci) console.warn(`[storage.test] Postgres at ${POSTGRES_TEST_URL} is not reachable: the Postgres storage suite is skipped (it runs in CI).`);

describe('Postgres availability', () => {
  it('is reachable under CI=true (the Postgres storage suite must not be skipped in CI)', () => {
    expect(pgUp || !ci).toBe(true);
  });
});

const lines = (total: string, taxes: string[] = []) => ({
  tokenCost: '0.001',
  discount: '0',
  streaming: '0.0002',
  bandwidthPremium: '0',
  infrastructure: '0.002',
  subtotal: '0.0032',
  slaPenalty: '0',
  slaBreaches: [] as Array<'uptime' | 'latency' | 'bandwidth'>,
  taxes: taxes.map((amount, i) => ({ jurisdiction: `J${i}`, name: 'VAT', ratePercent: '10', amount })),
  total,
});

function storageSuite(name: string, open: () => Promise<OpenedDatabase>) {
  describe.skipIf(name === 'Postgres' && !pgUp)(`storage on ${name}`, () => {
    let db: OpenedDatabase;
    let store: TwinStore;
    const tenantId = `tenant-${Math.random().toString(36).slice(2, 8)}`;
    beforeAll(async () => {
      db = await open();
      store = createTwinStore(db.db, { batchIntervalMs: 5, instanceId: 'node-a' });
    });
    afterAll(async () => {
      await store?.close();
      await db?.close();
    });

    const openRecord = (streamId: string, startedAt = new Date()) => store.openings.push(openRecordOf({ streamId, tenantId, startedAt }));
    const finalize = (streamId: string, end: RecordEnd) => store.finalizeBillingRecord(finalRecordOf(openRecordOf({ streamId, tenantId }), end));

    it('applies the drizzle-kit migrations: every table of the spec exists', async () => {
      for (const table of ['stream_connections', 'stream_buffers', 'stream_chunks', 'stream_metrics', 'stream_billing_records', 'stream_billing_configs', 'stream_usage_reports', 'stream_events', 'stream_alerts']) {
        await expect(db.db.execute(sql.raw(`select count(*) from "${table}"`))).resolves.toBeDefined();
      }
    });

    it('keeps exactly one billing record per stream, and finalizes it once', async () => {
      openRecord('s-once');
      openRecord('s-once');
      await store.flush();
      const first = await finalize('s-once', { endReason: 'complete', endedAt: new Date(), usageEstimated: false, usageMissing: false, durationMs: 10, bytes: 100, currency: 'USD', outputTokens: 5, lines: lines('0.01') });
      const second = await finalize('s-once', { endReason: 'error', endedAt: new Date(), usageEstimated: true, usageMissing: false, durationMs: 99, bytes: 999, currency: 'USD', outputTokens: 50, lines: lines('9.99') });
      expect(first?.state).toBe('final');
      expect(second).toBeUndefined();
      const rows = await store.listBillingRecords(tenantId, { limit: 100 });
      const mine = rows.filter((r) => r.streamId === 's-once');
      expect(mine).toHaveLength(1);
      expect(mine[0]!.endReason).toBe('complete');
      expect(mine[0]!.outputTokens).toBe(5);
    });

    it("opens every record with core's idempotency key (one stream, one key), and a second opening is a no-op", async () => {
      openRecord('s-key');
      openRecord('s-key');
      await store.flush();
      const rows = await db.db.select({ key: tables.streamBillingRecords.idempotencyKey }).from(tables.streamBillingRecords).where(sql`${tables.streamBillingRecords.streamId} = 's-key'`);
      expect(rows).toEqual([{ key: billingIdempotencyKey(tenantId, 's-key') }]);
      await finalize('s-key', { endReason: 'complete', endedAt: new Date(), usageEstimated: false, usageMissing: true, durationMs: 1, bytes: 1, currency: 'USD' });
    });

    it('stores a lone opening (its own VALUES statement) exactly as it stores one of a batch (unnest)', async () => {
      const startedAt = new Date('2031-06-01T08:00:00.456Z');
      const spec = { tenantId, startedAt, userId: 'u-1', purpose: 'chat "quoted"', apiKeyId: 'key_1', provider: 'openai', model: 'gpt-x', currency: 'EUR' };
      store.openings.push(openRecordOf({ ...spec, streamId: 's-lone' }));
      await store.openings.durable();
      store.openings.push(openRecordOf({ ...spec, streamId: 's-batch-0' }));
      store.openings.push(openRecordOf({ ...spec, streamId: 's-batch-1' }));
      store.openings.push(openRecordOf({ tenantId, startedAt, streamId: 's-bare' }));
      await store.openings.durable();
      const read = async (streamId: string) => {
        const { id: _id, streamId: _s, idempotencyKey, ...rest } = (await store.getBillingRecord(tenantId, streamId))!;
        expect(idempotencyKey).toBe(billingIdempotencyKey(tenantId, streamId));
        return rest;
      };
      const lone = await read('s-lone');
      expect(lone).toMatchObject({ state: 'open', userId: 'u-1', purpose: 'chat "quoted"', apiKeyId: 'key_1', currency: 'EUR', startedAt: startedAt.toISOString() });
      expect(await read('s-batch-0')).toEqual(lone);
      expect(await read('s-batch-1')).toEqual(lone);
      // Both forms write this instance's id (what a restart reconciles).
      const mine = (await store.listOpenBillingRecords(10_000)).map((r) => r.streamId);
      expect(mine).toEqual(expect.arrayContaining(['s-lone', 's-batch-0', 's-batch-1']));
      // A lone opening without user or purpose stores them as NULL, as a batch does.
      store.openings.push(openRecordOf({ tenantId, startedAt, streamId: 's-bare-lone' }));
      await store.openings.durable();
      expect(await read('s-bare-lone')).toEqual(await read('s-bare'));
      expect(await read('s-bare-lone')).not.toHaveProperty('userId');
      // Final, so the reconcile test below finds only its own open record.
      for (const streamId of ['s-lone', 's-batch-0', 's-batch-1', 's-bare', 's-bare-lone']) {
        await finalize(streamId, { endReason: 'complete', endedAt: new Date(), usageEstimated: false, usageMissing: true, durationMs: 1, bytes: 1, currency: 'USD' });
      }
    });

    it('endStream finalizes a group of records in one statement exactly as finalizeBillingRecord does one, and only once', async () => {
      const endedAt = new Date('2031-05-05T10:00:00.123Z');
      const bills: RecordEnd[] = [
        // lines with two taxes, every token count, a pricing config, provider and model reported by the stream
        { endReason: 'complete', endedAt, inputTokens: 7, cacheReadTokens: 1, cacheWriteTokens: 2, outputTokens: 9, reasoningTokens: 3, usageEstimated: false, usageMissing: false, durationMs: 1234.6, bytes: 4_321, currency: 'EUR', pricingConfigId: 'cfg-1', lines: lines('1.000000000000000001', ['0.1', '0.2']), provider: 'openai', model: 'gpt-x' },
        // no lines (the bill could not be priced): money columns stay as opened, no provider/model change
        { endReason: 'interrupted', endedAt, usageEstimated: true, usageMissing: true, durationMs: 0, bytes: 0, currency: 'USD' },
        // lines without taxes
        { endReason: 'client_abort', endedAt, outputTokens: 0, usageEstimated: true, usageMissing: false, durationMs: 5, bytes: 10, currency: 'USD', lines: lines('0.0032') },
      ];
      bills.forEach((_, i) => {
        openRecord(`s-one-${i}`);
        openRecord(`s-group-${i}`);
      });
      await store.flush();
      for (const [i, bill] of bills.entries()) await finalize(`s-one-${i}`, bill);
      const ending = (streamId: string, bill: (typeof bills)[number]) => ({
        record: finalRecordOf(openRecordOf({ streamId, tenantId }), bill),
        connection: { id: streamId, tenantId, provider: 'simulated', model: 'sim-1', status: 'completed', createdAt: endedAt, lastSeq: 3 },
        metrics: { streamId, tenantId, durationMs: 1, bytesSent: 1, eventsSent: 1, metrics: {}, updatedAt: endedAt },
        buffer: {},
      });
      // Submitted together: one group commit.
      const finalized = await Promise.all(bills.map((bill, i) => store.endStream(ending(`s-group-${i}`, bill))));
      expect(finalized).toEqual([true, true, true]);
      const again = await store.endStream(ending('s-group-0', { ...bills[0]!, endReason: 'error', outputTokens: 999, lines: lines('9') }));
      expect(again).toBe(false);

      const t = tables.streamBillingRecords;
      const rowOf = async (streamId: string) => {
        const [row] = await db.db
          .select({
            state: t.state, endReason: t.endReason, endedAt: t.endedAt, provider: t.provider, model: t.model,
            inputTokens: t.inputTokens, cacheReadTokens: t.cacheReadTokens, cacheWriteTokens: t.cacheWriteTokens, outputTokens: t.outputTokens, reasoningTokens: t.reasoningTokens,
            usageEstimated: t.usageEstimated, usageMissing: t.usageMissing, durationMs: t.durationMs, bytes: t.bytes, currency: t.currency, pricingConfigId: t.pricingConfigId,
            tokenCost: sql<string>`${t.tokenCost}::text`, discount: sql<string>`${t.discount}::text`, streaming: sql<string>`${t.streaming}::text`, bandwidthPremium: sql<string>`${t.bandwidthPremium}::text`,
            infrastructure: sql<string>`${t.infrastructure}::text`, subtotal: sql<string>`${t.subtotal}::text`, slaPenalty: sql<string>`${t.slaPenalty}::text`,
            taxTotal: sql<string>`${t.taxTotal}::text`, total: sql<string>`${t.total}::text`, lines: t.lines,
          })
          .from(t)
          .where(sql`${t.streamId} = ${streamId}`);
        return row;
      };
      for (let i = 0; i < bills.length; i++) expect(await rowOf(`s-group-${i}`)).toEqual(await rowOf(`s-one-${i}`));
      // The same statement upserted the connection row, metrics and buffer snapshot of each stream.
      const [connection] = await db.db.select().from(tables.streamConnections).where(sql`${tables.streamConnections.id} = 's-group-1'`);
      expect(connection).toMatchObject({ tenantId, status: 'completed', lastSeq: 3, createdAt: endedAt, endedAt: null, apiKeyId: null, metadata: null });
      const [metric] = await db.db.select().from(tables.streamMetrics).where(sql`${tables.streamMetrics.streamId} = 's-group-1'`);
      expect(metric).toMatchObject({ tenantId, durationMs: 1, bytesSent: 1, eventsSent: 1, metrics: {}, updatedAt: endedAt });
      const [buffer] = await db.db.select().from(tables.streamBuffers).where(sql`${tables.streamBuffers.streamId} = 's-group-1'`);
      expect(buffer).toMatchObject({ tenantId, state: {} });
      const first = await rowOf('s-group-0');
      expect(first).toMatchObject({ state: 'final', endReason: 'complete', provider: 'openai', model: 'gpt-x', taxTotal: '0.3', total: '1.000000000000000001', durationMs: 1235, outputTokens: 9 });
      expect(await rowOf('s-group-1')).toMatchObject({ state: 'final', provider: 'simulated', total: null, taxTotal: null, lines: null, usageMissing: true });
      expect((await rowOf('s-group-2'))!.taxTotal).toBe('0');
    });

    it('stores money as exact numeric: long decimals round-trip and taxes sum without float error', async () => {
      openRecord('s-money');
      const total = '12345678901234567890.123456789012345678';
      await finalize('s-money', { endReason: 'complete', endedAt: new Date(), usageEstimated: false, usageMissing: false, durationMs: 1, bytes: 1, currency: 'USD', lines: lines(total, ['0.1', '0.2']) });
      const rows = await db.db
        .select({ total: sql<string>`${tables.streamBillingRecords.total}::text`, tax: sql<string>`${tables.streamBillingRecords.taxTotal}::text` })
        .from(tables.streamBillingRecords)
        .where(sql`${tables.streamBillingRecords.streamId} = 's-money'`);
      expect(rows[0]!.total).toBe(total);
      expect(rows[0]!.tax).toBe('0.3');
    });

    it('aggregates reports in numeric: 0.1 + 0.2 is exactly 0.3, over the records that ENDED in the period', async () => {
      const from = new Date(Date.UTC(2031, 0, 1));
      const to = new Date(Date.UTC(2031, 1, 1));
      const at = (d: Date, ms: number) => new Date(d.getTime() + ms);
      // r1 started in December and ended in January: January's. r3 started in January and ended in February: not.
      for (const [id, total, startedAt, endedAt] of [
        ['r1', '0.1', at(from, -60_000), at(from, 1_000)],
        ['r2', '0.2', at(from, 1_000), at(from, 2_000)],
        ['r3', '5', at(to, -1_000), at(to, 1_000)],
      ] as const) {
        openRecord(id, startedAt);
        await finalize(id, { endReason: 'complete', endedAt, usageEstimated: false, usageMissing: false, durationMs: 1, bytes: 1, currency: 'USD', inputTokens: 1, outputTokens: 2, lines: lines(total) });
      }
      const report = await queryUsageReport(db.db, { tenantId, from, to, groupBy: ['model'] });
      expect(report.totals.cost.total).toBe('0.3');
      expect(report.totals.count).toBe(2);
      expect(report.groups[0]!.key.model).toBe('sim-1');
    });

    it('reconciles open records of this instance only: interrupted, usage estimated from the audit copy', async () => {
      const startedAt = new Date(Date.now() - 5_000);
      openRecord('s-crashed', startedAt);
      await store.flush();
      store.chunks.push({ streamId: 's-crashed', seq: 0, tenantId, event: 'start', data: '{"v":1,"seq":0}', bytes: 15, createdAt: startedAt });
      store.chunks.push({ streamId: 's-crashed', seq: 1, tenantId, event: 'chunk', data: '{"v":1,"seq":1,"text":"hello world again"}', bytes: 40, createdAt: new Date(startedAt.getTime() + 2_000) });
      store.events.push({ streamId: 's-crashed', tenantId, type: 'stream.start', data: { inputTokens: 11 }, createdAt: startedAt });
      // Another instance's open record must survive this instance's restart.
      const other = createTwinStore(db.db, { instanceId: 'node-b' });
      other.openings.push(openRecordOf({ streamId: 's-other', tenantId, startedAt }));
      await Promise.all([store.flush(), other.flush()]);
      const pricing = await createPricingBook(store);
      const result = await reconcileOpenRecords({ store, pricing, countTokens: (t) => t.split(' ').length, logger: pino({ level: 'silent' }) });
      expect(result.streamIds).toEqual(['s-crashed']);
      const record = await store.getBillingRecord(tenantId, 's-crashed');
      expect(record).toMatchObject({ state: 'final', endReason: 'interrupted', usageEstimated: true, inputTokens: 11, outputTokens: 3, durationMs: 2_000, bytes: 55 });
      expect(record!.lines!.total).toMatch(/^\d+\.\d+$/);
      expect((await store.getBillingRecord(tenantId, 's-other'))?.state).toBe('open');
      // Running it again changes nothing.
      expect((await reconcileOpenRecords({ store, pricing, countTokens: () => 1, logger: pino({ level: 'silent' }) })).reconciled).toBe(0);
      await other.close();
    });

    it('stores the audit copy of events byte for byte (quotes, backslashes, braces, commas, unicode)', async () => {
      const data = JSON.stringify({ v: 1, seq: 1, text: 'a "quoted", {braced} \\ back\\slash, NULL, emoji 🎉 \u00e9 \n new line' });
      store.chunks.push({ streamId: 's-escape', seq: 1, tenantId, event: 'chunk', data, bytes: Buffer.byteLength(data), createdAt: new Date() });
      await store.flush();
      const rows = await db.db.select({ data: tables.streamChunks.data }).from(tables.streamChunks).where(sql`${tables.streamChunks.streamId} = 's-escape'`);
      expect(rows[0]!.data).toBe(data);
    });

    it('stores raw tabs, line breaks, backslashes and an end-of-data marker in the audit copy as they are', async () => {
      const data = 'tab\there\r\nnext line\n\\.\nback\\slash \\N';
      store.chunks.push({ streamId: 's-raw', seq: 1, lastSeq: 3, tenantId, event: 'ev\tent', data, bytes: 7, createdAt: new Date('2026-01-02T03:04:05.678Z') });
      store.chunks.push({ streamId: 's-raw', seq: 4, tenantId, event: 'chunk', data: '{}', bytes: 2, createdAt: new Date('2026-01-02T03:04:06Z') });
      await store.flush();
      const rows = await db.db
        .select({ seq: tables.streamChunks.seq, lastSeq: tables.streamChunks.lastSeq, event: tables.streamChunks.event, data: tables.streamChunks.data, bytes: tables.streamChunks.bytes, createdAt: tables.streamChunks.createdAt })
        .from(tables.streamChunks)
        .where(sql`${tables.streamChunks.streamId} = 's-raw'`)
        .orderBy(tables.streamChunks.seq);
      expect(rows).toEqual([
        { seq: 1, lastSeq: 3, event: 'ev\tent', data, bytes: 7, createdAt: new Date('2026-01-02T03:04:05.678Z') },
        { seq: 4, lastSeq: 4, event: 'chunk', data: '{}', bytes: 2, createdAt: new Date('2026-01-02T03:04:06Z') },
      ]);
    });

    it('lands the rest of a chunk batch some of whose rows landed already', async () => {
      const row = (seq: number) => ({ streamId: 's-again', seq, tenantId, event: 'chunk', data: `{"seq":${seq}}`, bytes: 9, createdAt: new Date() });
      store.chunks.push(row(1));
      await store.flush();
      store.chunks.push(row(1));
      store.chunks.push(row(2));
      await store.flush();
      const content = await store.readStreamContent('s-again');
      expect({ bytes: content.bytes, lastSeq: content.lastSeq }).toEqual({ bytes: 18, lastSeq: 2 });
    });

    it('writes audit batches idempotently (a retried chunk batch is not duplicated)', async () => {
      const row = { streamId: 's-dup', seq: 1, tenantId, event: 'chunk', data: '{}', bytes: 2, createdAt: new Date() };
      store.chunks.push(row);
      store.chunks.push(row);
      await store.flush();
      const content = await store.readStreamContent('s-dup');
      expect(content.bytes).toBe(2);
    });
  });
}

storageSuite('PGlite', openTestDatabase);
storageSuite('Postgres', openPostgresTestDatabase);
