import { and, desc, eq, lt, sql } from 'drizzle-orm';
import type { TwinDatabase } from './open-database';
import { webhookDeliveries } from './schema';

export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;

/** The delivery log of alert webhooks. */
export interface WebhookDeliveryStore {
  /** Inserts a delivery once per (alert, url); false when it already exists (idempotent). */
  insert(row: typeof webhookDeliveries.$inferInsert): Promise<boolean>;
  update(id: string, patch: Partial<Pick<WebhookDeliveryRow, 'status' | 'attempts' | 'lastStatus' | 'lastError' | 'nextAttemptAt' | 'deliveredAt'>>): Promise<void>;
  /** Deliveries still to be attempted (after a restart). */
  pending(): Promise<WebhookDeliveryRow[]>;
  /** Newest first; `before` pages on `createdAt`; `tenantId` keeps one tenant's alerts. */
  list(options: { status?: string; limit?: number; before?: Date; tenantId?: string }): Promise<WebhookDeliveryRow[]>;
}

export function createWebhookDeliveryStore(db: TwinDatabase): WebhookDeliveryStore {
  return {
    async insert(row) {
      const rows = await db.insert(webhookDeliveries).values(row).onConflictDoNothing().returning({ id: webhookDeliveries.id });
      return rows.length > 0;
    },
    async update(id, patch) {
      await db.update(webhookDeliveries).set(patch).where(eq(webhookDeliveries.id, id));
    },
    async pending() {
      return db.select().from(webhookDeliveries).where(eq(webhookDeliveries.status, 'pending')).orderBy(webhookDeliveries.createdAt);
    },
    async list({ status, limit = 100, before, tenantId }) {
      const where = and(
        status ? eq(webhookDeliveries.status, status) : sql`true`,
        before ? lt(webhookDeliveries.createdAt, before) : sql`true`,
        tenantId ? eq(webhookDeliveries.tenantId, tenantId) : sql`true`,
      );
      return db.select().from(webhookDeliveries).where(where).orderBy(desc(webhookDeliveries.createdAt)).limit(limit);
    },
  };
}
