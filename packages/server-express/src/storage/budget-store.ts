import { and, desc, eq, gte, sql } from 'drizzle-orm';
import type { TwinDatabase } from './open-database';
import { streamAlerts, streamBillingRecords, streamBudgets } from './schema';
import type { AlertRow, BudgetRow } from './store-rows';
import { billedAt } from './usage-report';

/**
 * Whose spend a budget limits: the whole tenant, one of its API keys (by key id), or one of its end
 * users (the requests' `user`). Neither id is a secret.
 */
export type BudgetScope = { type: 'tenant' } | { type: 'apiKey'; id: string } | { type: 'user'; id: string };

/** The scope of a stored budget row (rows from before scopes are tenant budgets). */
export function scopeOf(row: Pick<BudgetRow, 'scopeType' | 'scopeId'>): BudgetScope {
  if (row.scopeType === 'apiKey' || row.scopeType === 'user') return { type: row.scopeType, id: row.scopeId };
  return { type: 'tenant' };
}

/** Tenants' budgets and the alerts raised against them. */
export interface BudgetStore {
  /** Every budget of the tenant, whatever its scope. */
  listBudgets(tenantId: string): Promise<BudgetRow[]>;
  upsertBudget(row: typeof streamBudgets.$inferInsert): Promise<void>;
  insertAlert(row: AlertRow): Promise<void>;
  listAlerts(tenantId: string, limit?: number): Promise<(typeof streamAlerts.$inferSelect)[]>;
  /**
   * Money the tenant (or, with `scope`, one of its API keys or end users) was billed in `currency`
   * since `from`, an exact decimal string (the sum of the totals of final records whose stream ended
   * at or after `from`, as in the usage report).
   */
  billedSince(tenantId: string, currency: string, from: Date, scope?: BudgetScope): Promise<string>;
  /** Whether an alert of `kind` was raised for the tenant at or after `since` (one alert per threshold and period). */
  hasAlertSince(tenantId: string, kind: string, since: Date): Promise<boolean>;
}

/** Builds the {@link BudgetStore}. */
export function createBudgetStore(db: TwinDatabase): BudgetStore {
  return {
    async listBudgets(tenantId) {
      return db.select().from(streamBudgets).where(eq(streamBudgets.tenantId, tenantId));
    },
    async upsertBudget(row) {
      await db
        .insert(streamBudgets)
        .values(row)
        .onConflictDoUpdate({
          target: [streamBudgets.tenantId, streamBudgets.scopeType, streamBudgets.scopeId, streamBudgets.period],
          set: { limitAmount: row.limitAmount, currency: row.currency, config: row.config, updatedAt: row.updatedAt },
        });
    },

    async insertAlert(row) {
      await db.insert(streamAlerts).values(row);
    },
    async listAlerts(tenantId, limit = 100) {
      return db.select().from(streamAlerts).where(eq(streamAlerts.tenantId, tenantId)).orderBy(desc(streamAlerts.createdAt)).limit(limit);
    },
    async billedSince(tenantId, currency, from, scope = { type: 'tenant' }) {
      const rows = await db
        .select({ spent: sql<string>`coalesce(sum(${streamBillingRecords.total}), 0)::text` })
        .from(streamBillingRecords)
        .where(
          and(
            eq(streamBillingRecords.tenantId, tenantId),
            eq(streamBillingRecords.state, 'final'),
            sql`${billedAt} >= ${from.toISOString()}::timestamptz`,
            eq(streamBillingRecords.currency, currency),
            scope.type === 'apiKey' ? eq(streamBillingRecords.apiKeyId, scope.id) : undefined,
            scope.type === 'user' ? eq(streamBillingRecords.userId, scope.id) : undefined,
          ),
        );
      return rows[0]?.spent ?? '0';
    },
    async hasAlertSince(tenantId, kind, since) {
      const rows = await db
        .select({ id: streamAlerts.id })
        .from(streamAlerts)
        .where(and(eq(streamAlerts.tenantId, tenantId), eq(streamAlerts.kind, kind), gte(streamAlerts.createdAt, since)))
        .limit(1);
      return rows.length > 0;
    },
  };
}
