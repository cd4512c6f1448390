import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Bill, BillingContext, ExactBill, MeteredUsage } from './bill-types';
import { calculateBill, calculateBillOnBigints } from './calculate-bill';
import { DEFAULT_PRICING } from './default-pricing';
import { add, equals, sub, type Rational } from './rational';
import { testBillingConfig } from './test-billing-config';

/*
 * A bill keeps what it was priced from (the token cost, the counts, the steps' results) and makes
 * its exact amounts from them when they are read (written-bill.ts). These tests hold those amounts
 * to what was priced: the same as the bigint path's, whatever the caller does with its inputs
 * afterwards, and consistent with each other.
 */

const KEYS = ['tokenCost', 'discount', 'streaming', 'bandwidthPremium', 'infrastructure', 'subtotal', 'slaPenalty', 'total', 'taxes'] as const;
type Snapshot = Record<(typeof KEYS)[number], Rational | Rational[]>;
const snapshot = (exact: ExactBill): Snapshot => Object.fromEntries(KEYS.map((k) => [k, exact[k]])) as Snapshot;
/** Whether the bill was priced on numbers (its written units are numbers then). */
const onNumbers = (bill: Bill) => typeof (bill.exact as unknown as { u0: unknown }).u0 === 'number';

const config = testBillingConfig({
  tokens: { inputPer1K: '0.0123', cachedInputReadPer1K: '0.0011', outputPer1K: '0.0456', reasoningPer1K: '0.05' },
  streaming: { perSecond: '0.0001', perMB: '0.01' },
  bandwidthPremium: { thresholdKB: '100', perKB: '0.00002' },
  infrastructure: { perConnection: '0.001', perHour: '0.0137' },
  volumeDiscount: { mode: 'graduated', tiers: [{ thresholdTokens: 1_000, ratePercent: '10' }, { thresholdTokens: 5_000, ratePercent: '12' }] },
  sla: { latency: { maxMs: 400, percentile: 'p95', penaltyPercent: '10' }, uptime: { minPercent: '99', penaltyPercent: '7' }, maxPenaltyPercent: '15' },
  taxes: [{ jurisdiction: 'DE', name: 'VAT', ratePercent: '19' }, { jurisdiction: '*', name: 'RC', ratePercent: '5', reverseCharge: true }],
  rounding: { mode: 'half-even', minorUnits: 6 },
});

function inputs(n: number): { metered: MeteredUsage; context: BillingContext } {
  return {
    metered: { usage: { inputTokens: 300 + n, cacheReadTokens: n >> 1, outputTokens: 90 + n, reasoningTokens: 40 }, durationMs: 1_234 + n, bytes: 100_000 + 977 * n, connections: 2 },
    context: { periodTokensBefore: 4_000 + n, jurisdiction: 'DE', sla: { latencyMs: 450, uptimePercent: '98.5' } },
  };
}

describe('a bill’s exact amounts, made from what it was priced from', () => {
  it('are the bigint path’s and stay so when the caller changes its usage and context afterwards', () => {
    const paths = new Set<boolean>();
    for (const [table, exchangeRate] of [config, ...DEFAULT_PRICING].flatMap((t) => [[t, undefined] as const, [t, { to: 'EUR', rate: '0.9215' }] as const])) {
      for (const n of [0, 1, 2_000, 9_999]) {
        const { metered, context } = inputs(n);
        const bill = calculateBill(metered, table, { ...context, exchangeRate });
        paths.add(onNumbers(bill));
        const reference = snapshot(calculateBillOnBigints(metered, table, { ...context, exchangeRate }).exact);
        expect(snapshot(bill.exact)).toStrictEqual(reference);
        // Everything the caller holds changes; the bill's amounts do not.
        metered.usage!.inputTokens = 10 ** 9;
        metered.usage!.outputTokens = 7;
        metered.usage!.reasoningTokens = 0;
        metered.durationMs = 10 ** 8;
        metered.bytes = 1;
        metered.connections = 9;
        context.periodTokensBefore = 0;
        context.sla!.latencyMs = 1;
        expect(snapshot(bill.exact)).toStrictEqual(reference);
      }
    }
    // Bills priced on numbers (the shipped tables, without an exchange rate) and on bigints (the rest) were both checked.
    expect([...paths].sort()).toEqual([false, true]);
  });

  it('add up (lines to the subtotal, subtotal − penalty + taxes to the total) and read the same twice, on both paths', () => {
    fc.assert(
      fc.property(fc.nat(DEFAULT_PRICING.length), fc.nat(5_000), fc.nat(2_000), fc.nat(120_000), fc.nat(400_000), fc.nat(2 ** 45), (t, input, output, ms, bytes, big) => {
        const table = t === DEFAULT_PRICING.length ? config : DEFAULT_PRICING[t]!;
        // Now and then a bill past 2^53 units (priced on bigints).
        const inputTokens = big % 7 === 0 ? big : input;
        const bill = calculateBill(
          { usage: { inputTokens, cacheReadTokens: Math.floor(inputTokens / 4), outputTokens: output }, durationMs: ms, bytes, connections: 1 + (ms % 3) },
          table,
          { periodTokensBefore: big % 3_000_000, jurisdiction: 'DE', sla: { latencyMs: 150 + (ms % 700), uptimePercent: '99.9' } },
        );
        const e = bill.exact;
        let total = sub(e.subtotal, e.slaPenalty);
        for (const tax of e.taxes) total = add(total, tax);
        expect(equals(total, e.total)).toBe(true);
        expect(equals(add(add(add(sub(e.tokenCost, e.discount), e.streaming), e.bandwidthPremium), e.infrastructure), e.subtotal)).toBe(true);
        // Reading twice gives the same amounts (made afresh each time, from the same inputs).
        expect(snapshot(e)).toStrictEqual(snapshot(bill.exact));
      }),
      { numRuns: 500 },
    );
  });
});
