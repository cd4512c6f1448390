import { describe, expect, it } from 'vitest';
import { applyBillingProfile, billingProfileSchema, carriesCustomerTerms } from './billing-profile';
import { testBillingConfig } from './test-billing-config';

const table = (model: string, extra: Record<string, unknown> = {}) =>
  testBillingConfig({ provider: 'p', model, effectiveFrom: '2025-01-01T00:00:00Z', rounding: { mode: 'half-up', minorUnits: 2 }, tokens: { inputPer1K: '1', outputPer1K: '2' }, ...extra });

const VAT = [{ jurisdiction: '*', name: 'VAT', ratePercent: '20', reverseCharge: false }];
const DISCOUNT = { mode: 'volume' as const, tiers: [{ thresholdTokens: 10, ratePercent: '5' }] };

describe('applyBillingProfile with modelTerms', () => {
  const profile = billingProfileSchema.parse({
    tenantId: 't',
    taxes: [{ jurisdiction: '*', name: 'GST', ratePercent: '5' }],
    modelTerms: [{ provider: 'p', model: '*', taxes: VAT, volumeDiscount: DISCOUNT }],
  });
  it("uses a table's own agreed terms for that table (as written, `*` included), and the profile's for the others", () => {
    const wildcard = applyBillingProfile(table('*', { taxes: [{ jurisdiction: '*', name: 'Old', ratePercent: '1' }] }), profile);
    expect(wildcard.taxes).toEqual(VAT);
    expect(wildcard.volumeDiscount).toEqual(DISCOUNT);
    const other = applyBillingProfile(table('m', { volumeDiscount: DISCOUNT }), profile);
    expect(other.taxes.map((t) => t.name)).toEqual(['GST']);
    expect(other.volumeDiscount).toBeUndefined();
  });
  it('refuses unknown keys in modelTerms (a misspelt term is not silently dropped)', () => {
    expect(billingProfileSchema.safeParse({ tenantId: 't', modelTerms: [{ provider: 'p', model: 'm', tax: [] }] }).success).toBe(false);
  });
});

describe('carriesCustomerTerms', () => {
  it('is true for a table with taxes, an SLA or a discount plan, false for prices only', () => {
    expect(carriesCustomerTerms(table('m'))).toBe(false);
    expect(carriesCustomerTerms(table('m', { taxes: VAT }))).toBe(true);
    expect(carriesCustomerTerms(table('m', { volumeDiscount: DISCOUNT }))).toBe(true);
    expect(carriesCustomerTerms(table('m', { sla: { maxPenaltyPercent: '10' } }))).toBe(true);
  });
});
