import { budgetPeriodBounds, buildUsageReport as coreReport, evaluateBudget, formatFraction, parseDecimal, type StreamBillingRecord } from '@twin/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTwinStore, type OpenedDatabase, type TwinStore } from '../src/index';
import { judgeBudget } from '../src/stream/judge-budget';
import { createBudgetGuard } from '../src/stream/budget-guard';
import type { BudgetScope } from '../src/storage/budget-store';
import pino from 'pino';
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

    // A key's or an end user's budget sums only that scope's records: the SQL filter against core's
    // report over the same records filtered in memory, judged alike, and the tightest refusal named.
    const SCOPES: BudgetScope[] = [{ type: 'apiKey', id: 'key_a' }, { type: 'apiKey', id: 'key_b' }, { type: 'user', id: 'u1' }, { type: 'user', id: 'u2' }, { type: 'user', id: 'nobody' }];
    for (const period of ['day', 'month'] as const) {
      it(`sums each API key's and end user's spend since each ${period} start as core's report does, and judges it alike`, async () => {
        let nonZero = 0;
        for (const scope of SCOPES) {
          const mine = records.filter((r) => r.currency === 'USD' && (scope.type === 'apiKey' ? r.apiKeyId === scope.id : scope.type === 'user' ? r.userId === scope.id : true));
          for (const moment of MOMENTS) {
            const since = budgetPeriodBounds(period, new Date(moment)).from;
            const sqlSpent = await store.billedSince(tenant, 'USD', since, scope);
            const coreSpent = coreReport(mine, { from: since, to: FAR, currency: 'USD' }).totals.cost.total ?? '0';
            expect(exact(sqlSpent), `${scope.type} ${'id' in scope ? scope.id : ''} since ${since.toISOString()}`).toBe(exact(coreSpent));
            if (exact(coreSpent) !== '0') nonZero++;
            for (const limit of ['0', coreSpent, `${coreSpent}1`, '1000000']) {
              const judged = judgeBudget(limit, sqlSpent, THRESHOLDS);
              const core = evaluateBudget({ scope: { type: scope.type === 'tenant' ? 'user' : scope.type, id: 'x' }, period, currency: 'USD', hardLimit: limit }, coreSpent);
              expect(judged.exceeded).toBe(core.status === 'hard-stop');
              expect(judged).toEqual(judgeBudget(limit, coreSpent, THRESHOLDS));
            }
          }
        }
        expect(nonZero).toBeGreaterThan(0);
      });
    }

    it("refuses a stream with the tightest used-up budget of its tenant, key and end user, and ignores other keys' and users' budgets", async () => {
      const now = new Date();
      const since = budgetPeriodBounds('month', now).from;
      const spentOf = (scope: BudgetScope) => store.billedSince(tenant, 'USD', since, scope);
      const [tenantSpent, keySpent, userSpent] = await Promise.all([spentOf({ type: 'tenant' }), spentOf({ type: 'apiKey', id: 'key_a' }), spentOf({ type: 'user', id: 'u1' })]);
      expect(exact(userSpent)).not.toBe('0');
      const row = (scopeType: string, scopeId: string, limitAmount: string) => ({
        id: `b_${scopeType}_${scopeId}`,
        tenantId: tenant,
        scopeType,
        scopeId,
        period: 'month',
        limitAmount,
        currency: 'USD',
        config: { action: 'block', alertAtPercent: [] },
        updatedAt: now,
      });
      // The tenant and key_a are used up exactly (nothing left); u1 is overspent (limit 0): u1 is the tightest.
      await store.upsertBudget(row('tenant', '', tenantSpent));
      await store.upsertBudget(row('apiKey', 'key_a', keySpent));
      await store.upsertBudget(row('user', 'u1', '0'));
      await store.upsertBudget(row('apiKey', 'key_b', '0'));
      const guard = createBudgetGuard(store, pino({ level: 'silent' }), 0);
      await expect(guard.check({ tenantId: tenant, apiKeyId: 'key_a', userId: 'u1' })).rejects.toMatchObject({ code: 'budget_exceeded', details: { scope: 'user', scopeId: 'u1', spent: userSpent } });
      // Tenant and key equally tight (nothing left of either): the more specific scope, the key, is named.
      await expect(guard.check({ tenantId: tenant, apiKeyId: 'key_a', userId: 'u2' })).rejects.toMatchObject({ details: { scope: 'apiKey', scopeId: 'key_a', spent: keySpent } });
      // key_b's budget (0) does not apply to key_a: with the tenant's and key_a's limits lifted, u2 on key_a streams.
      await store.upsertBudget(row('tenant', '', '1000000'));
      await store.upsertBudget(row('apiKey', 'key_a', '1000000'));
      guard.forget(tenant);
      const states = await guard.check({ tenantId: tenant, apiKeyId: 'key_a', userId: 'u2' });
      expect(states.map((s) => s.scope)).toEqual(expect.arrayContaining([{ type: 'tenant' }, { type: 'apiKey', id: 'key_a' }]));
      expect(states).toHaveLength(2);
      expect(states.find((s) => s.scope.type === 'apiKey')!.spent).toBe(keySpent);
    });
  });
}

budgetSuite('PGlite', openTestDatabase);
budgetSuite('Postgres', openPostgresTestDatabase);
