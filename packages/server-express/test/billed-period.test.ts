import { budgetPeriodBounds } from '@twin/core';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBudgetGuard, createTwinStore, type OpenedDatabase, type TwinStore } from '../src/index';
import { billLines, insertRecords, type RecordSpec } from './billing-fixtures';
import { openPostgresTestDatabase, postgresReachable } from './postgres-test-database';
import { openTestDatabase } from './test-server';

// The Postgres run is mandatory under CI=true: test/storage.test.ts fails when it is unreachable there.
const pgUp = await postgresReachable();

const record = (tenantId: string, id: string, startedAt: Date, endedAt: Date | undefined, tokens: [number, number], total: string): RecordSpec => ({
  streamId: `${tenantId}-${id}`,
  tenantId,
  provider: 'openai',
  model: 'gpt-a',
  currency: 'USD',
  startedAt,
  ...(endedAt
    ? {
        end: {
          endReason: 'complete' as const,
          endedAt,
          usageEstimated: false,
          usageMissing: false,
          durationMs: endedAt.getTime() - startedAt.getTime(),
          bytes: 1,
          inputTokens: tokens[0],
          outputTokens: tokens[1],
          lines: billLines({ total }),
        },
      }
    : {}),
});

function billedPeriodSuite(name: string, open: () => Promise<OpenedDatabase>) {
  describe.skipIf(name === 'Postgres' && !pgUp)(`period sums count a record in the period its stream ended in, on ${name}`, () => {
    let db: OpenedDatabase;
    let store: TwinStore;
    const suffix = Math.random().toString(36).slice(2, 8);
    beforeAll(async () => {
      db = await open();
      store = createTwinStore(db.db, { batchIntervalMs: 5 });
    });
    afterAll(async () => {
      await store?.close();
      await db?.close();
    });

    it('tenantTokensSince (volume tiers): a stream started before the period start and ended inside counts; one ended before does not', async () => {
      const tenantId = `tokens-${suffix}`;
      const from = new Date('2031-05-01T00:00:00.000Z');
      const at = (ms: number) => new Date(from.getTime() + ms);
      await insertRecords(store, [
        record(tenantId, 'crossing', at(-3_600_000), at(1_800_000), [100, 20], '1'),
        record(tenantId, 'before', at(-7_200_000), at(-3_600_000), [1_000, 1_000], '1'),
        record(tenantId, 'open', at(3_600_000), undefined, [0, 0], '0'),
        record(tenantId, 'inside', at(86_400_000), at(86_460_000), [5, 5], '1'),
      ]);
      expect(await store.tenantTokensSince(tenantId, from)).toBe(130);
    });

    it('budget spend: money of a stream started last period and ended in this one counts (and blocks); last period\'s bills do not', async () => {
      const tenantId = `budget-${suffix}`;
      const now = new Date();
      const monthStart = budgetPeriodBounds('month', now).from;
      const before = (ms: number) => new Date(monthStart.getTime() - ms);
      await insertRecords(store, [
        record(tenantId, 'crossing', before(3_600_000), now, [1, 1], '0.5'),
        record(tenantId, 'last-month', before(7_200_000), before(3_600_000), [1, 1], '7'),
        record(tenantId, 'open', now, undefined, [0, 0], '0'),
      ]);
      await store.upsertBudget({
        id: `budget_${tenantId}_month`,
        tenantId,
        period: 'month',
        limitAmount: '0.5',
        currency: 'USD',
        config: { alertAtPercent: [100], action: 'block' },
        updatedAt: now,
      });
      const guard = createBudgetGuard(store, pino({ level: 'silent' }));
      await expect(guard.check({ tenantId, apiKeyId: 'key_a' })).rejects.toMatchObject({ code: 'budget_exceeded' });
      const alerts = await store.listAlerts(tenantId);
      expect(alerts.map((a) => [a.kind, (a.data as { spent: string }).spent])).toEqual([['budget.month.100', '0.5']]);
    });
  });
}

billedPeriodSuite('PGlite', openTestDatabase);
billedPeriodSuite('Postgres', openPostgresTestDatabase);
