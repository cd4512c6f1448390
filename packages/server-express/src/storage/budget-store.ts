import { desc, eq } from 'drizzle-orm';
import type { TwinDatabase } from './open-database';
import { streamAlerts, streamBudgets } from './schema';
import type { AlertRow, BudgetRow } from './store-rows';

/** Tenants' budgets and the alerts raised against them. */
export interface BudgetStore {
  listBudgets(tenantId: string): Promise<BudgetRow[]>;
  upsertBudget(row: typeof streamBudgets.$inferInsert): Promise<void>;
  insertAlert(row: AlertRow): Promise<void>;
  listAlerts(tenantId: string, limit?: number): Promise<(typeof streamAlerts.$inferSelect)[]>;
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
          target: [streamBudgets.tenantId, streamBudgets.period],
          set: { limitAmount: row.limitAmount, currency: row.currency, config: row.config, updatedAt: row.updatedAt },
        });
    },

    async insertAlert(row) {
      await db.insert(streamAlerts).values(row);
    },
    async listAlerts(tenantId, limit = 100) {
      return db.select().from(streamAlerts).where(eq(streamAlerts.tenantId, tenantId)).orderBy(desc(streamAlerts.createdAt)).limit(limit);
    },
  };
}
