import { and, asc, eq, sql } from 'drizzle-orm';
import type { TwinDatabase } from './open-database';
import { apiKeys } from './schema';
import type { ApiKeyRow } from './store-rows';

/** API keys: stored by hash, looked up on every authenticated request. */
export interface ApiKeyStore {
  insertApiKey(row: typeof apiKeys.$inferInsert): Promise<void>;
  findApiKeyByHash(hash: string): Promise<ApiKeyRow | undefined>;
  listApiKeys(tenantId?: string): Promise<ApiKeyRow[]>;
  revokeApiKey(id: string): Promise<boolean>;
  countApiKeys(): Promise<number>;
}

/** Builds the {@link ApiKeyStore}. */
export function createApiKeyStore(db: TwinDatabase): ApiKeyStore {
  return {
    async insertApiKey(row) {
      await db.insert(apiKeys).values(row);
    },
    async findApiKeyByHash(hash) {
      const rows = await db.select().from(apiKeys).where(eq(apiKeys.keyHash, hash)).limit(1);
      return rows[0];
    },
    async listApiKeys(tenantId) {
      const q = db.select().from(apiKeys);
      return tenantId ? q.where(eq(apiKeys.tenantId, tenantId)).orderBy(asc(apiKeys.createdAt)) : q.orderBy(asc(apiKeys.createdAt));
    },
    async revokeApiKey(id) {
      const rows = await db
        .update(apiKeys)
        .set({ revokedAt: new Date() })
        .where(and(eq(apiKeys.id, id), sql`${apiKeys.revokedAt} is null`))
        .returning({ id: apiKeys.id });
      return rows.length > 0;
    },
    async countApiKeys() {
      const rows = await db.select({ n: sql<number>`count(*)::int` }).from(apiKeys);
      return rows[0]?.n ?? 0;
    },
  };
}
