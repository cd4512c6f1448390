import { budgetPeriodBounds, buildUsageReport as coreReport, evaluateBudget, formatFraction, parseDecimal, type StreamBillingRecord } from '@twin/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTwinStore, type OpenedDatabase, type TwinStore } from '../src/index';
import { judgeBudget } from '../src/stream/judge-budget';
import { insertRecords, variedRecords } from './billing-fixtures';
import { openPostgresTestDatabase, postgresReachable } from './postgres-test-database';
import { openTestDatabase } from './test-server';

// The Postgres run is mandatory under CI=true: test/storage.test.ts fails when it is unreachable there.
const pgUp = await postgresReachable();

const from = new Date('2031-03-01T00:00:00.000Z');
const to = new Date('2031-04-01T00:00:00.000Z');
const FAR = new Date('2100-01-01T00:00:00.000Z');
// Period starts around the records: each budget period (day, week, month) at several moments.
const MOMENTS = ['2031-02-27T12:00:00.000Z', '2031-03-01T00:00:00.000Z', '2031-03-11T07:30:00.123Z', '2031-03-31T23:59:59.999Z', '2031-04-01T00:00:00.000Z'];
const THRESHOLDS = [0.5, 50, 80, 99.999, 100, 150];
const exact = (amount: string) => formatFraction(parseDecimal(amount));

function budgetSuite(name: string, open: () => Promise<OpenedDatabase>) {
  describe.skipIf(name === 'Postgres' && !pgUp)(`budget spend in SQL, judged = core's evaluateBudget over the same records, on ${name}`, () => {
    let db: OpenedDatabase;
    let store: TwinStore;
    const tenant = `budget-${Math.random().toString(36).slice(2, 8)}`;
    let records: StreamBillingRecord[];

    beforeAll(async () => {
      db = await open();
      store = createTwinStore(db.db, { batchIntervalMs: 5 });
      await insertRecords(store, variedRecords(tenant, from, to, 200, 11));
      records = await store.listBillingRecords(tenant, { limit: 10_000 });
    });
    afterAll(async () => {
      await store?.close();
      await db?.close();
    });

    for (const currency of ['USD', 'EUR']) {
      for (const period of ['day', 'week', 'month'] as const) {
        it(`sums what core's report bills since each ${period} start in ${currency}, and judges every limit and threshold alike`, async () => {
          let nonZero = 0;
          for (const moment of MOMENTS) {
            const since = budgetPeriodBounds(period, new Date(moment)).from;
            const sqlSpent = await store.billedSince(tenant, currency, since);
            const coreSpent = coreReport(records.filter((r) => r.currency === currency), { from: since, to: FAR, currency }).totals.cost.total ?? '0';
            expect(exact(sqlSpent)).toBe(exact(coreSpent));
            if (exact(coreSpent) !== '0') nonZero++;
            // Limits below, at (met exactly is used up), just above and far above the spend, and zero.
            const limits = ['0', coreSpent, `${coreSpent}1`, '1000000', exact(coreSpent) === '0' ? '0.01' : '0.000001'];
            for (const limit of limits) {
              const judged = judgeBudget(limit, sqlSpent, THRESHOLDS);
              expect(judged).toEqual(judgeBudget(limit, coreSpent, THRESHOLDS));
              const core = evaluateBudget({ scope: { type: 'user', id: 'u' }, period, currency, hardLimit: limit }, coreSpent);
              expect(judged.exceeded).toBe(core.status === 'hard-stop');
            }
          }
          expect(nonZero).toBeGreaterThan(0);
        });
      }
    }
  });
}

budgetSuite('PGlite', openTestDatabase);
budgetSuite('Postgres', openPostgresTestDatabase);
