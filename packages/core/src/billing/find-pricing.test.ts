import { describe, expect, it } from 'vitest';
import { isTwinError } from '../errors/twin-error';
import { DEFAULT_PRICING } from './default-pricing';
import { findPricing, parsePricingConfigs } from './find-pricing';
import { testBillingConfig } from './test-billing-config';

const mine = testBillingConfig({ provider: 'openai', model: 'gpt-4', effectiveFrom: '2025-03-01T00:00:00Z', tokens: { inputPer1K: '0.01', outputPer1K: '0.03' } });

describe('findPricing', () => {
  const tables = parsePricingConfigs([mine, { ...mine, model: '*', effectiveFrom: '2025-06-01T00:00:00Z' }], DEFAULT_PRICING);

  it('lets a user table override the shipped one from its effective date on', () => {
    expect(findPricing(tables, 'openai', 'gpt-4', '2025-02-28T23:59:59Z')?.tokens.inputPer1K).toBe('0.03');
    expect(findPricing(tables, 'openai', 'gpt-4', '2025-03-01T00:00:00Z')?.tokens.inputPer1K).toBe('0.01');
  });

  it('prefers an exact model over "*" even when the wildcard is newer', () => {
    expect(findPricing(tables, 'openai', 'gpt-4', '2025-07-01')?.effectiveFrom).toBe('2025-03-01T00:00:00Z');
    expect(findPricing(tables, 'openai', 'gpt-4o', '2025-07-01')?.model).toBe('*');
    expect(findPricing(tables, 'openai', 'gpt-4o', '2025-05-01')).toBeUndefined();
  });

  it('takes the higher version of two tables with the same date', () => {
    const v = parsePricingConfigs([{ ...mine, version: 1 }, { ...mine, version: 2, tokens: { inputPer1K: '0.02', outputPer1K: '0.03' } }]);
    expect(findPricing(v, 'openai', 'gpt-4', '2025-04-01')?.tokens.inputPer1K).toBe('0.02');
  });
});

describe('parsePricingConfigs', () => {
  it.each([
    [{ tokens: { inputPer1K: 0.01, outputPer1K: '0.03' } }, /tokens\.inputPer1K/], // a float is refused: amounts are strings
    [{ tokens: { inputPer1K: '-0.01', outputPer1K: '0.03' } }, /must not be negative/],
    [{ sla: { maxPenaltyPercent: '120' } }, /between 0 and 100/],
    [{ volumeDiscount: { mode: 'volume', tiers: [{ thresholdTokens: 10, ratePercent: '5' }, { thresholdTokens: 5, ratePercent: '9' }] } }, /strictly increasing/],
    [{ effectiveFrom: 'soon' }, /ISO-8601/],
  ])('refuses an invalid table with config_invalid naming the field (%#)', (patch, message) => {
    try {
      parsePricingConfigs([{ ...mine, ...patch }]);
      expect.unreachable();
    } catch (error) {
      expect(isTwinError(error) && error.code).toBe('config_invalid');
      expect((error as Error).message).toMatch(message);
    }
  });
});
