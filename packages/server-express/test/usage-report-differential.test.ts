import { buildUsageReport as coreReport, TwinError, type StreamBillingRecord, type UsageReportDimension } from '@twin/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTwinStore, queryUsageReport, type OpenedDatabase, type TwinStore } from '../src/index';
import { billLines, insertRecords, sortGroups, variedRecords, type RecordSpec } from './billing-fixtures';
import { openPostgresTestDatabase, postgresReachable } from './postgres-test-database';
import { openTestDatabase } from './test-server';

// The Postgres run is mandatory under CI=true: test/storage.test.ts fails when it is unreachable there.
const pgUp = await postgresReachable();

const from = new Date('2031-03-01T00:00:00.000Z');
const to = new Date('2031-04-01T00:00:00.000Z');
const running = new Date('2031-03-11T07:30:00.123Z');
const GROUPINGS: UsageReportDimension[][] = [[], ['provider', 'model'], ['user', 'purpose'], ['apiKey', 'purpose', 'model']];

function differentialSuite(name: string, open: () => Promise<OpenedDatabase>) {
  describe.skipIf(name === 'Postgres' && !pgUp)(`SQL usage report = core buildUsageReport, on ${name}`, () => {
    let db: OpenedDatabase;
    let store: TwinStore;
    const suffix = Math.random().toString(36).slice(2, 8);
    const mixed = `mixed-${suffix}`;
    const euroOnly = `eur-${suffix}`;
    const tie = `tie-${suffix}`;
    let records: StreamBillingRecord[];

    beforeAll(async () => {
      db = await open();
      store = createTwinStore(db.db, { batchIntervalMs: 5 });
      await insertRecords(store, variedRecords(mixed, from, to));
      await insertRecords(store, variedRecords(euroOnly, from, to, 20, 7).map((s) => ({ ...s, currency: 'EUR' })));
      records = await store.listBillingRecords(mixed, { limit: 10_000 });
    });
    afterAll(async () => {
      await store?.close();
      await db?.close();
    });

    const expectSame = async (tenantId: string, rows: StreamBillingRecord[], groupBy: UsageReportDimension[], now: Date, currency?: string) => {
      const sqlReport = await queryUsageReport(db.db, { tenantId, from, to, groupBy, now, ...(currency ? { currency } : {}) });
      const core = sortGroups(coreReport(rows, { from, to, groupBy, now, ...(currency ? { currency } : {}) }));
      expect(sqlReport).toStrictEqual(core);
      // Same key order too (the JSON a client sees).
      expect(JSON.stringify(sqlReport)).toBe(JSON.stringify(core));
      return sqlReport;
    };

    it('covers what it claims: open, estimated, missing usage, no lines, crossing records, both currencies', () => {
      const inPeriod = records.filter((r) => r.state === 'final' && (r.endedAt ?? r.startedAt) >= from.toISOString() && (r.endedAt ?? r.startedAt) < to.toISOString());
      expect(records.some((r) => r.state === 'open')).toBe(true);
      expect(inPeriod.some((r) => r.usageEstimated)).toBe(true);
      expect(inPeriod.some((r) => r.usageMissing)).toBe(true);
      expect(inPeriod.some((r) => !r.lines)).toBe(true);
      expect(inPeriod.some((r) => r.startedAt < from.toISOString())).toBe(true);
      expect(records.some((r) => r.state === 'final' && r.startedAt < to.toISOString() && r.endedAt! >= to.toISOString())).toBe(true);
      expect(inPeriod.some((r) => r.currency === 'EUR')).toBe(true);
      expect(inPeriod.some((r) => (r.lines?.taxes.length ?? 0) > 1)).toBe(true);
    });

    for (const groupBy of GROUPINGS) {
      for (const currency of ['USD', 'EUR']) {
        it(`gives core's report for groupBy [${groupBy.join(', ')}] in ${currency}: totals, groups, trend, projection`, async () => {
          const report = await expectSame(mixed, records.filter((r) => r.currency === currency), groupBy, running, currency);
          expect(report.totals.count).toBeGreaterThan(0);
          expect(report.trend).toBeDefined();
          expect(report.projection).toBeDefined();
        });
      }
    }

    it('counts a record in the period its stream ended in, not the one it started in', async () => {
      const report = await queryUsageReport(db.db, { tenantId: mixed, from, to, groupBy: [], now: running, currency: 'USD' });
      const ended = records.filter((r) => r.state === 'final' && r.currency === 'USD' && r.endedAt! >= from.toISOString() && r.endedAt! < to.toISOString());
      const started = records.filter((r) => r.state === 'final' && r.currency === 'USD' && r.startedAt >= from.toISOString() && r.startedAt < to.toISOString());
      expect(ended.length).not.toBe(started.length);
      expect(report.totals.count).toBe(ended.length);
    });

    it('refuses to add currencies: without `currency`, mixed records are a 400 naming currency and listing them (core refuses too)', async () => {
      const error = await queryUsageReport(db.db, { tenantId: mixed, from, to, groupBy: [], now: running }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TwinError);
      expect(error).toMatchObject({ code: 'invalid_request', status: 400, details: { field: 'currency', currencies: ['EUR', 'USD'] } });
      expect(() => coreReport(records, { from, to })).toThrow(TwinError);
    });

    it("reports in the records' only currency when none is asked for", async () => {
      const rows = await store.listBillingRecords(euroOnly, { limit: 10_000 });
      const report = await expectSame(euroOnly, rows, ['provider'], running);
      expect(report.currency).toBe('EUR');
    });

    it('gives an empty USD report for a period without records, as core does', async () => {
      const report = await expectSame(`nobody-${suffix}`, [], ['model'], running);
      expect(report).toMatchObject({ currency: 'USD', groups: [], totals: { count: 0, cost: { total: '0' } } });
      expect(report.trend).toBeUndefined();
    });

    it('projects a finished period to its totals and has no projection before the period starts', async () => {
      const usd = records.filter((r) => r.currency === 'USD');
      const over = await expectSame(mixed, usd, [], to, 'USD');
      expect(over.projection!.count).toBe(`${over.totals.count}.000000`);
      const before = await expectSame(mixed, usd, [], new Date(from.getTime() - 1), 'USD');
      expect(before.projection).toBeUndefined();
    });

    it('rounds trend and projection half-even like core (3.125% → 3.12, 0.0000025 → 0.000002), not half away from zero', async () => {
      const specs: RecordSpec[] = [];
      const prevFrom = new Date(from.getTime() - (to.getTime() - from.getTime()));
      // 32 records in the previous period, 33 in this one: +3.125% records.
      for (let i = 0; i < 65; i++) {
        const endedAt = new Date((i < 32 ? prevFrom : from).getTime() + 60_000 * (i + 1));
        specs.push({
          streamId: `${tie}-s${i}`,
          tenantId: tie,
          provider: 'openai',
          model: 'gpt-a',
          currency: 'USD',
          startedAt: new Date(endedAt.getTime() - 1_000),
          end: { endReason: 'complete', endedAt, usageEstimated: false, usageMissing: false, durationMs: 1_000, bytes: 10, lines: billLines({ tokenCost: i === 64 ? '0.0000025' : '0' }) },
        });
      }
      await insertRecords(store, specs);
      const rows = await store.listBillingRecords(tie, { limit: 10_000 });
      const report = await expectSame(tie, rows, [], to);
      expect(report.trend!.count).toBe('3.12');
      expect(report.projection!.tokenCost).toBe('0.000002');
    });
  });
}

differentialSuite('PGlite', openTestDatabase);
differentialSuite('Postgres', openPostgresTestDatabase);
