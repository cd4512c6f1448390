import { DEFAULT_PRICING, TwinError, billingProfileSchema, carriesCustomerTerms, splitLegacyPricing, type BillingModelTerms, type StreamBillingConfig } from '@twin/core';
import { createBillingProfileStore } from '../storage/billing-profile-store';
import { apiKeys, streamBillingRecords } from '../storage/schema';
import type { TwinStore } from '../storage/twin-store';

/** What `twin-server profile migrate` will do (or did). */
export interface ProfileMigration {
  /** Tenants that got a billing profile holding the terms their price tables carried. */
  profiled: string[];
  /** Tenants left alone: they had a profile, whose terms already replaced the tables'. */
  kept: string[];
  /** Stored price tables rewritten to hold only prices. */
  stripped: string[];
  /** Tables of the pricing file that still carry terms (the file is the operator's to edit). */
  fileWithTerms: string[];
}

const termsOf = (c: StreamBillingConfig) => JSON.stringify({ taxes: c.taxes, sla: c.sla ?? null, volumeDiscount: c.volumeDiscount ?? null });

/**
 * The terms each price table in force carries, per provider and model as the table writes them: the
 * version in force at `now` and every later one (older versions bill no new stream). They must agree,
 * and the tables must share one currency, for one profile per tenant to reproduce every bill exactly;
 * otherwise this refuses (nothing is written) and says which tables differ.
 */
export function planModelTerms(tables: readonly StreamBillingConfig[], now: Date): { currency: string; modelTerms: BillingModelTerms[] } {
  const byTable = new Map<string, StreamBillingConfig[]>();
  for (const table of tables) {
    const key = `${table.provider}/${table.model}`;
    byTable.set(key, [...(byTable.get(key) ?? []), table]);
  }
  const modelTerms: BillingModelTerms[] = [];
  const currencies = new Set<string>();
  for (const [key, versions] of byTable) {
    // The list is in precedence order (stored, file, shipped): the first of the newest effective wins.
    const due = versions.filter((v) => new Date(v.effectiveFrom) <= now);
    const newest = due.reduce<StreamBillingConfig | undefined>((best, v) => (!best || new Date(v.effectiveFrom) > new Date(best.effectiveFrom) ? v : best), undefined);
    const billing = [...(newest ? [newest] : []), ...versions.filter((v) => new Date(v.effectiveFrom) > now)];
    if (billing.length === 0) continue;
    for (const v of billing) currencies.add(v.currency);
    if (new Set(billing.map(termsOf)).size > 1) {
      throw new TwinError('config_invalid', `The versions of price table ${key} (${billing.map((v) => v.id ?? v.effectiveFrom).join(', ')}) carry different taxes, SLA or discount terms: one profile cannot keep every bill the same. Give the tenants profiles by hand (profile set), then run this again.`);
    }
    const first = billing[0]!;
    if (carriesCustomerTerms(first)) {
      modelTerms.push({ provider: first.provider, model: first.model, taxes: first.taxes, ...(first.sla ? { sla: first.sla } : {}), ...(first.volumeDiscount ? { volumeDiscount: first.volumeDiscount } : {}) });
    }
  }
  if (currencies.size > 1) {
    throw new TwinError('config_invalid', `The price tables in force are in several currencies (${[...currencies].sort().join(', ')}): a tenant's profile bills in one. Set each tenant's currency and exchange rate (profile set), then run this again.`);
  }
  return { currency: [...currencies][0] ?? 'USD', modelTerms };
}

/**
 * `twin-server profile migrate`: moves the customer terms (taxes, SLA, discount plan) that price
 * tables from before billing profiles carry into the profiles of the tenants they billed, then
 * rewrites the stored tables to hold only prices. Every known tenant (it has a key or a billing
 * record) without a profile gets one with the tables' terms, per table (`modelTerms`), so its bills
 * stay exactly the same; tenants with a profile are left alone (their profile already replaced the
 * tables' terms). Idempotent: a second run finds nothing to do. An operator command rather than a
 * step at start: it writes customer data, can be previewed (`dryRun`), and cluster instances
 * starting together must not race on it; `twin-server serve` warns while tables still carry terms.
 */
export async function migrateProfiles(store: TwinStore, options: { fileConfigs?: readonly StreamBillingConfig[]; now?: Date; dryRun?: boolean } = {}): Promise<ProfileMigration> {
  const now = options.now ?? new Date();
  const stored = await store.listBillingConfigs();
  const fileConfigs = options.fileConfigs ?? [];
  const plan = planModelTerms([...stored, ...fileConfigs, ...DEFAULT_PRICING], now);
  const profiles = createBillingProfileStore(store.db);
  const withProfile = new Set((await profiles.list()).map((p) => p.tenantId));
  const [keyTenants, recordTenants] = await Promise.all([
    store.db.selectDistinct({ tenantId: apiKeys.tenantId }).from(apiKeys),
    store.db.selectDistinct({ tenantId: streamBillingRecords.tenantId }).from(streamBillingRecords),
  ]);
  const tenants = [...new Set([...keyTenants, ...recordTenants].map((r) => r.tenantId))].sort();
  const result: ProfileMigration = {
    profiled: tenants.filter((t) => !withProfile.has(t)),
    kept: tenants.filter((t) => withProfile.has(t)),
    stripped: stored.filter(carriesCustomerTerms).map((c) => c.id!),
    fileWithTerms: fileConfigs.filter(carriesCustomerTerms).map((c) => c.id ?? `${c.provider}/${c.model}@${c.effectiveFrom}`),
  };
  if (options.dryRun) return result;
  // Profiles first: a crash between the two steps leaves tables whose terms the profiles already replace.
  for (const tenantId of result.profiled) {
    await profiles.put(billingProfileSchema.parse({ tenantId, currency: plan.currency, ...(plan.modelTerms.length ? { modelTerms: plan.modelTerms } : {}) }), now);
  }
  for (const table of stored.filter(carriesCustomerTerms)) {
    const { prices } = splitLegacyPricing(table);
    await store.upsertBillingConfig({ ...prices, id: table.id! });
  }
  return result;
}

/** The start-up warning's subject: stored or file tables that still carry customer terms (not the shipped examples). */
export function tablesWithTerms(tables: readonly StreamBillingConfig[]): string[] {
  return tables.filter(carriesCustomerTerms).map((c) => c.id ?? `${c.provider}/${c.model}@${c.effectiveFrom}`);
}

/** What `profile migrate` prints. */
export function describeMigration(m: ProfileMigration, dryRun: boolean): string {
  const will = dryRun ? 'would ' : '';
  const lines = [
    `${will}give ${m.profiled.length} tenant(s) a billing profile with their price tables' terms${m.profiled.length ? `: ${m.profiled.join(', ')}` : ''}`,
    `${m.kept.length} tenant(s) already had a profile (left as they are)`,
    `${will}rewrite ${m.stripped.length} stored price table(s) to hold only prices${m.stripped.length ? `: ${m.stripped.join(', ')}` : ''}`,
  ];
  if (m.fileWithTerms.length) lines.push(`the pricing file still carries terms in ${m.fileWithTerms.join(', ')}: remove taxes, sla and volumeDiscount from them there`);
  if (!dryRun && m.profiled.length === 0 && m.stripped.length === 0) lines.push('nothing to migrate');
  return lines.join('\n') + '\n';
}
