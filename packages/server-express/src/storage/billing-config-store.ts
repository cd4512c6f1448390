import { asc } from 'drizzle-orm';
import type { StreamBillingConfig } from '@twin/core';
import type { TwinDatabase } from './open-database';
import { streamBillingConfigs } from './schema';

/** Price lists (billing configs), kept whole as json beside the columns they are looked up by. */
export interface BillingConfigStore {
  listBillingConfigs(): Promise<StreamBillingConfig[]>;
  upsertBillingConfig(config: StreamBillingConfig & { id: string }): Promise<void>;
}

/** Builds the {@link BillingConfigStore}. */
export function createBillingConfigStore(db: TwinDatabase): BillingConfigStore {
  return {
    async listBillingConfigs() {
      const rows = await db.select().from(streamBillingConfigs).orderBy(asc(streamBillingConfigs.effectiveFrom));
      return rows.map((r) => ({ ...(r.config as unknown as StreamBillingConfig), id: r.id }));
    },
    async upsertBillingConfig(config) {
      const row = {
        id: config.id,
        provider: config.provider,
        model: config.model,
        effectiveFrom: new Date(config.effectiveFrom),
        config: config as unknown as Record<string, unknown>,
      };
      const { id: _id, ...rest } = row;
      await db.insert(streamBillingConfigs).values(row).onConflictDoUpdate({ target: streamBillingConfigs.id, set: rest });
    },
  };
}
