import type { Bill, Usage } from '@twin/core';
import { testBillingConfig } from '@twin/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, createTwinStore, type OpenedDatabase, type TwinStore } from '../src/index';
import { describeMigration, migrateProfiles, planModelTerms } from '../src/cli/profile-migrate';
import { createBillingProfileStore } from '../src/storage/billing-profile-store';
import { createPricingBook } from '../src/stream/pricing-book';
import { openTestDatabase } from './test-server';

// A price table as written before profiles: prices, and the customer's taxes, SLA and discount plan.
const LEGACY = testBillingConfig({
  id: 'legacy/sim-1',
  provider: 'simulated',
  model: 'sim-1',
  effectiveFrom: '2025-01-01T00:00:00Z',
  tokens: { inputPer1K: '0.0123', cachedInputReadPer1K: '0.001', outputPer1K: '0.0456' },
  streaming: { perSecond: '0.0001', perMB: '0.01' },
  infrastructure: { perConnection: '0.001', perHour: '0.02' },
  volumeDiscount: { mode: 'graduated', tiers: [{ thresholdTokens: 3_000, ratePercent: '7.5' }, { thresholdTokens: 9_000, ratePercent: '15' }] },
  sla: { uptime: { minPercent: '99.9', penaltyPercent: '10' }, maxPenaltyPercent: '20' },
  taxes: [
    { jurisdiction: '*', name: 'VAT', ratePercent: '19' },
    { jurisdiction: '*', name: 'Levy', ratePercent: '0.5' },
  ],
});

// A month of streams on the legacy table, the shipped examples (their own discount tiers at 1M tokens)
// and a catalogue model (no terms): enough tokens to cross every tier on the way.
const STREAMS: Array<{ provider: string; model: string; usage: Usage; durationMs: number; bytes: number; connections: number }> = [
  { provider: 'simulated', model: 'sim-1', usage: { inputTokens: 1_200, cacheReadTokens: 300, outputTokens: 900 }, durationMs: 4_321, bytes: 52_000, connections: 1 },
  { provider: 'openai', model: 'gpt-4', usage: { inputTokens: 700_000, outputTokens: 333 }, durationMs: 61_000, bytes: 1_234_567, connections: 2 },
  { provider: 'simulated', model: 'sim-1', usage: { inputTokens: 2_500, outputTokens: 4_100, reasoningTokens: 600 }, durationMs: 9_999, bytes: 88_888, connections: 1 },
  { provider: 'anthropic', model: 'claude-3-sonnet', usage: { inputTokens: 420_000, cacheWriteTokens: 1_000, outputTokens: 77 }, durationMs: 15_000, bytes: 40_000, connections: 1 },
  { provider: 'openai', model: 'gpt-4o', usage: { inputTokens: 5_000, outputTokens: 5_000 }, durationMs: 2_000, bytes: 9_000, connections: 1 },
  { provider: 'simulated', model: 'sim-1', usage: { inputTokens: 3_000, outputTokens: 2_000 }, durationMs: 3_600_000, bytes: 3_000_000, connections: 3 },
  { provider: 'openai', model: 'gpt-4', usage: { inputTokens: 12, outputTokens: 34 }, durationMs: 500, bytes: 700, connections: 1 },
];

let db: OpenedDatabase;
let store: TwinStore;
const suffix = Math.random().toString(36).slice(2, 8);
const legacyTenant = `legacy-${suffix}`;
const profiledTenant = `profiled-${suffix}`;

beforeAll(async () => {
  db = await openTestDatabase();
  store = createTwinStore(db.db, { batchIntervalMs: 5 });
  await store.upsertBillingConfig({ ...LEGACY, id: LEGACY.id! });
  await createApiKey(store, { tenantId: legacyTenant });
  await createApiKey(store, { tenantId: profiledTenant });
  await createBillingProfileStore(db.db).put({
    tenantId: profiledTenant,
    currency: 'USD',
    jurisdiction: 'DE',
    taxes: [{ jurisdiction: 'DE', name: 'MwSt', ratePercent: '19', reverseCharge: false }],
    invoiceMinorUnits: 2,
  });
});
afterAll(async () => {
  await store?.close();
  await db?.close();
});

/** The month's bills of a tenant, priced by a fresh pricing book (as a server started now would). */
async function monthOfBills(tenantId: string): Promise<Array<Pick<Bill, 'currency' | 'lines' | 'pricingConfigId' | 'discountTier'>>> {
  const book = await createPricingBook(store, { profiles: createBillingProfileStore(db.db) });
  const startedAt = new Date('2026-11-10T12:00:00Z');
  await book.warm(tenantId, startedAt);
  return STREAMS.map((s) => {
    const bill = book.bill({ tenantId, startedAt, ...s });
    return { currency: bill.currency, lines: bill.lines, pricingConfigId: bill.pricingConfigId, discountTier: bill.discountTier };
  });
}

describe('twin-server profile migrate', () => {
  it("moves price tables' terms into the profiles of the tenants they billed: every bill stays exactly the same, the tables hold only prices", async () => {
    const before = { legacy: await monthOfBills(legacyTenant), profiled: await monthOfBills(profiledTenant) };
    // The legacy table's taxes and discount really are in the legacy bills (the comparison below can fail).
    expect(before.legacy[0]!.lines.taxes.map((t) => t.name)).toEqual(['VAT', 'Levy']);
    expect(before.legacy.some((b) => b.lines.discount !== '0.000000')).toBe(true);

    const preview = await migrateProfiles(store, { dryRun: true });
    expect(preview).toMatchObject({ profiled: [legacyTenant], kept: [profiledTenant], stripped: ['legacy/sim-1'] });
    expect(await createBillingProfileStore(db.db).get(legacyTenant)).toBeUndefined();

    const done = await migrateProfiles(store);
    expect(done).toEqual(preview);
    const stored = (await store.listBillingConfigs()).find((c) => c.id === 'legacy/sim-1')!;
    expect(stored).toMatchObject({ taxes: [], tokens: LEGACY.tokens });
    expect(stored.sla).toBeUndefined();
    expect(stored.volumeDiscount).toBeUndefined();
    const profile = (await createBillingProfileStore(db.db).get(legacyTenant))!;
    expect(profile.modelTerms).toEqual(expect.arrayContaining([{ provider: 'simulated', model: 'sim-1', taxes: LEGACY.taxes, sla: LEGACY.sla, volumeDiscount: LEGACY.volumeDiscount }]));

    expect(await monthOfBills(legacyTenant)).toEqual(before.legacy);
    expect(await monthOfBills(profiledTenant)).toEqual(before.profiled);

    // Without the profile the stripped table would bill the same streams differently (no taxes).
    const newcomer = await monthOfBills(`newcomer-${suffix}`);
    expect(newcomer[0]!.lines.taxes).toEqual([]);
    expect(newcomer[0]!.lines.total).not.toBe(before.legacy[0]!.lines.total);
  });

  it('is idempotent: a second run finds nothing to do and changes nothing', async () => {
    const profiles = createBillingProfileStore(db.db);
    const profileBefore = await profiles.get(legacyTenant);
    const again = await migrateProfiles(store);
    expect(again.stripped).toEqual([]);
    expect(again.profiled).toEqual([]);
    expect(describeMigration(again, false)).toContain('nothing to migrate');
    expect(await profiles.get(legacyTenant)).toEqual(profileBefore);
  });

  it('refuses (writing nothing) when one profile cannot keep every bill: versions with different terms, or several currencies', () => {
    const now = new Date('2026-11-10T00:00:00Z');
    const next = { ...LEGACY, id: 'legacy/sim-1@2027', effectiveFrom: '2027-01-01T00:00:00Z', taxes: [{ jurisdiction: '*', name: 'VAT', ratePercent: '21', reverseCharge: false }] };
    expect(() => planModelTerms([LEGACY, next], now)).toThrow(/legacy\/sim-1, legacy\/sim-1@2027\) carry different/);
    // A superseded version bills no new stream: it does not count.
    const old = { ...LEGACY, id: 'legacy/sim-1@2024', effectiveFrom: '2024-01-01T00:00:00Z', taxes: [] };
    expect(planModelTerms([LEGACY, old], now).modelTerms).toHaveLength(1);
    const euro = { ...LEGACY, id: 'eur', model: 'sim-2', currency: 'EUR' };
    expect(() => planModelTerms([LEGACY, euro], now)).toThrow(/several currencies \(EUR, USD\)/);
  });
});
