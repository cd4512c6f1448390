import { billingProfileSchema, type BillingProfile } from '@twin/core';
import { eq } from 'drizzle-orm';
import type { TwinDatabase } from './open-database';
import { billingProfiles } from './schema';

/** Tenants' billing profiles (currency, jurisdiction and taxes, SLA, discount plan). */
export interface BillingProfileStore {
  get(tenantId: string): Promise<BillingProfile | undefined>;
  put(profile: BillingProfile, at?: Date): Promise<BillingProfile>;
  list(): Promise<BillingProfile[]>;
}

export function createBillingProfileStore(db: TwinDatabase): BillingProfileStore {
  // Stored documents were validated on the way in; parsing again gives defaults added since.
  const parse = (row: { profile: Record<string, unknown> }) => billingProfileSchema.parse(row.profile);
  return {
    async get(tenantId) {
      const rows = await db.select().from(billingProfiles).where(eq(billingProfiles.tenantId, tenantId)).limit(1);
      return rows[0] ? parse(rows[0]) : undefined;
    },
    async put(profile, at = new Date()) {
      const document = profile as unknown as Record<string, unknown>;
      await db
        .insert(billingProfiles)
        .values({ tenantId: profile.tenantId, profile: document, updatedAt: at })
        .onConflictDoUpdate({ target: billingProfiles.tenantId, set: { profile: document, updatedAt: at } });
      return profile;
    },
    async list() {
      return (await db.select().from(billingProfiles).orderBy(billingProfiles.tenantId)).map(parse);
    },
  };
}
