import { describe, expect, it } from 'vitest';
import { calculateBill } from './calculate-bill';
import { testBillingConfig } from './test-billing-config';

// Hand-derived values in the comments (units: per 1,000 tokens).

describe('context-size tiers', () => {
  const config = testBillingConfig({
    tokens: {
      inputPer1K: '0.00125',
      cachedInputReadPer1K: '0.000125',
      outputPer1K: '0.01',
      contextTiers: [{ aboveInputTokens: 200_000, inputPer1K: '0.0025', cachedInputReadPer1K: '0.00025', outputPer1K: '0.015' }],
    },
  });

  it('prices a prompt of exactly the threshold at the base prices', () => {
    const bill = calculateBill({ usage: { inputTokens: 200_000, outputTokens: 1_000 }, durationMs: 0, bytes: 0 }, config);
    // 200 × 0.00125 + 1 × 0.01 = 0.25 + 0.01
    expect(bill.lines.tokenCost).toBe('0.260000');
    expect(bill.contextTier).toBeUndefined();
  });

  it('prices every token of a prompt above the threshold at the tier prices', () => {
    const usage = { inputTokens: 200_001, cacheReadTokens: 1_000, outputTokens: 2_000 };
    const bill = calculateBill({ usage, durationMs: 0, bytes: 0 }, config);
    // 199.001 × 0.0025 + 1 × 0.00025 + 2 × 0.015 = 0.4975025 + 0.00025 + 0.03 = 0.5277525 → 0.527753 (half-up)
    expect(bill.lines.tokenCost).toBe('0.527753');
    expect(bill.contextTier).toBe(200_000);
  });
});

describe('sharp edges', () => {
  it('refuses connections: 0 (a served stream had at least one connection)', () => {
    expect(() => calculateBill({ durationMs: 0, bytes: 0, connections: 0 }, testBillingConfig())).toThrow(/connections must be a positive integer/);
  });

  it('shows the volume tier reached even when this usage has no tokens', () => {
    const config = testBillingConfig({ volumeDiscount: { mode: 'volume', tiers: [{ thresholdTokens: 1_000_000, ratePercent: '10' }] } });
    const bill = calculateBill({ usage: { inputTokens: 0, outputTokens: 0 }, durationMs: 10, bytes: 0 }, config, { periodTokensBefore: 1_000_000 });
    expect(bill.lines.discountPercent).toBe('10');
    expect(bill.lines.discount).toBe('0.000000');
    expect(bill.discountTier).toBe(0);
  });

  it('shows the graduated band the next token falls in when this usage has no tokens', () => {
    const config = testBillingConfig({ volumeDiscount: { mode: 'graduated', tiers: [{ thresholdTokens: 1_000_000, ratePercent: '10' }] } });
    const at = (before: number) => calculateBill({ usage: { inputTokens: 0, outputTokens: 0 }, durationMs: 0, bytes: 0 }, config, { periodTokensBefore: before }).lines.discountPercent;
    expect(at(999_999)).toBe('0'); // the next token is the 1,000,000th: base price
    expect(at(1_000_000)).toBe('10'); // the next token is the 1,000,001st: discounted
  });

  it('freezes a price table on first use, so an edit in place throws instead of being ignored', () => {
    const config = testBillingConfig({ tokens: { inputPer1K: '0.001', outputPer1K: '0.002' } });
    calculateBill({ usage: { inputTokens: 1000, outputTokens: 0 }, durationMs: 0, bytes: 0 }, config);
    expect(() => {
      config.tokens.inputPer1K = '0.5';
    }).toThrow(TypeError);
    expect(calculateBill({ usage: { inputTokens: 1000, outputTokens: 0 }, durationMs: 0, bytes: 0 }, config).lines.tokenCost).toBe('0.001000');
  });
});
