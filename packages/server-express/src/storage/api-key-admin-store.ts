import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { TwinDatabase } from './open-database';
import { apiKeys, tenantLimits } from './schema';

export type ApiKeyRecord = typeof apiKeys.$inferSelect;
export type TenantLimitsRow = typeof tenantLimits.$inferSelect;

/** The settings of a key an admin may change after creating it. */
export interface ApiKeyPatch {
  name?: string;
  expiresAt?: Date | null;
  allowedModels?: string[] | null;
  allowedProviders?: string[] | null;
  requestsPerMinute?: number | null;
  tokensPerMinute?: number | null;
}

/** Key management (beyond the lookups of the hot path in api-key-store.ts) and tenant rate limits. */
export interface ApiKeyAdminStore {
  get(id: string): Promise<ApiKeyRecord | undefined>;
  list(tenantId?: string): Promise<ApiKeyRecord[]>;
  insertApiKey(row: typeof apiKeys.$inferInsert): Promise<void>;
  /** Sets `revoked_at` once; false when there is no active key with that id. */
  revoke(id: string, at: Date): Promise<boolean>;
  update(id: string, patch: ApiKeyPatch): Promise<ApiKeyRecord | undefined>;
  getTenantLimits(tenantId: string): Promise<TenantLimitsRow | undefined>;
  listTenantLimits(): Promise<TenantLimitsRow[]>;
  putTenantLimits(row: TenantLimitsRow): Promise<void>;
}

export function createApiKeyAdminStore(db: TwinDatabase): ApiKeyAdminStore {
  return {
    async get(id) {
      const rows = await db.select().from(apiKeys).where(eq(apiKeys.id, id)).limit(1);
      return rows[0];
    },
    async list(tenantId) {
      const q = db.select().from(apiKeys);
      return tenantId ? q.where(eq(apiKeys.tenantId, tenantId)).orderBy(asc(apiKeys.createdAt)) : q.orderBy(asc(apiKeys.createdAt));
    },
    async insertApiKey(row) {
      await db.insert(apiKeys).values(row);
    },
    async revoke(id, at) {
      const rows = await db.update(apiKeys).set({ revokedAt: at }).where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt))).returning({ id: apiKeys.id });
      return rows.length > 0;
    },
    async update(id, patch) {
      if (Object.keys(patch).length === 0) return this.get(id);
      const rows = await db.update(apiKeys).set(patch).where(eq(apiKeys.id, id)).returning();
      return rows[0];
    },
    async getTenantLimits(tenantId) {
      const rows = await db.select().from(tenantLimits).where(eq(tenantLimits.tenantId, tenantId)).limit(1);
      return rows[0];
    },
    async listTenantLimits() {
      return db.select().from(tenantLimits).orderBy(asc(tenantLimits.tenantId));
    },
    async putTenantLimits(row) {
      await db
        .insert(tenantLimits)
        .values(row)
        .onConflictDoUpdate({
          target: tenantLimits.tenantId,
          set: { requestsPerMinute: sql`excluded.requests_per_minute`, tokensPerMinute: sql`excluded.tokens_per_minute`, updatedAt: sql`excluded.updated_at` },
        });
    },
  };
}
