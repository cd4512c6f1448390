import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BillLines } from '../protocol/billing';
import type { MeteredUsage } from './bill-types';
import { calculateBill } from './calculate-bill';
import { add, compare, equals, parseDecimal, sub, type Rational } from './rational';
import { DecimalSum } from './decimal-sum';
import { testBillingConfig } from './test-billing-config';

const price = fc.integer({ min: 0, max: 10_000_000 }).map((n) => (n / 1e6).toFixed(6)); // exact 6-place strings
const percent = fc.integer({ min: 0, max: 100 }).map(String);
const configArb = fc.record({
  mode: fc.constantFrom('volume' as const, 'graduated' as const),
  rounding: fc.constantFrom('half-up' as const, 'half-even' as const, 'down' as const, 'up' as const),
  minorUnits: fc.integer({ min: 0, max: 8 }),
  prices: fc.array(price, { minLength: 10, maxLength: 10 }),
  rates: fc.array(percent, { minLength: 2, maxLength: 2 }),
  penalties: fc.array(percent, { minLength: 4, maxLength: 4 }),
  taxes: fc.array(percent, { minLength: 0, maxLength: 3 }),
}).map((a) =>
  testBillingConfig({
    rounding: { mode: a.rounding, minorUnits: a.minorUnits },
    tokens: { inputPer1K: a.prices[0]!, cachedInputReadPer1K: a.prices[1]!, cachedInputWritePer1K: a.prices[2]!, outputPer1K: a.prices[3]!, reasoningPer1K: a.prices[4]! },
    streaming: { perSecond: a.prices[5]!, perMB: a.prices[6]! },
    bandwidthPremium: { thresholdKB: '10', perKB: a.prices[7]! },
    infrastructure: { perConnection: a.prices[8]!, perHour: a.prices[9]! },
    volumeDiscount: { mode: a.mode, tiers: [{ thresholdTokens: 1000, ratePercent: a.rates[0]! }, { thresholdTokens: 5000, ratePercent: a.rates[1]! }] },
    sla: {
      uptime: { minPercent: '99', penaltyPercent: a.penalties[0]! },
      latency: { maxMs: 500, percentile: 'p95', penaltyPercent: a.penalties[1]! },
      bandwidth: { minMBps: '1', penaltyPercent: a.penalties[2]! },
      maxPenaltyPercent: a.penalties[3]!,
    },
    taxes: a.taxes.map((rate, i) => ({ jurisdiction: '*', name: `t${i}`, ratePercent: rate })),
  }),
);
const usageArb = fc
  .record({ cr: fc.nat(3000), cw: fc.nat(3000), plain: fc.nat(5000), reasoning: fc.nat(3000), out: fc.nat(5000), ms: fc.nat(10_000_000), bytes: fc.nat(50_000_000), conns: fc.integer({ min: 1, max: 5 }) })
  .map(
    (u): MeteredUsage => ({
      usage: { inputTokens: u.cr + u.cw + u.plain, cacheReadTokens: u.cr, cacheWriteTokens: u.cw, outputTokens: u.out + u.reasoning, reasoningTokens: u.reasoning },
      durationMs: u.ms,
      bytes: u.bytes,
      connections: u.conns,
    }),
  );
const contextArb = fc.record(
  {
    periodTokensBefore: fc.nat(10_000),
    sla: fc.record({ uptimePercent: fc.constantFrom('98', '99', '100'), latencyMs: fc.constantFrom(100, 500, 900), bandwidthMBps: fc.constantFrom('0.5', '1', '3') }),
    exchangeRate: fc.record({ to: fc.constant('EUR'), rate: fc.constantFrom('0.9215', '1', '1.3', '157.25') }),
  },
  { requiredKeys: ['periodTokensBefore', 'sla'] },
);

function sum(values: string[]): string {
  const s = new DecimalSum();
  for (const v of values) s.add(v);
  return s.toRational().n === 0n ? '0' : s.toString();
}
const norm = (s: string) => sum([s]);

function checkLines(l: BillLines) {
  expect(sum([l.tokenCost, `-${l.discount}`, l.streaming, l.bandwidthPremium, l.infrastructure].map((x) => x.replace(/^--/, '')))).toBe(norm(l.subtotal));
  expect(sum([l.subtotal, `-${l.slaPenalty}`, ...l.taxes.map((t) => t.amount)].map((x) => x.replace(/^--/, '')))).toBe(norm(l.total));
}

describe('calculateBill — properties', () => {
  it('the returned lines sum exactly to the subtotal and the total', () => {
    fc.assert(fc.property(configArb, usageArb, contextArb, (config, usage, context) => checkLines(calculateBill(usage, config, context).lines)));
  });

  it('every returned line is at most one minor unit from its exact value', () => {
    fc.assert(
      fc.property(configArb, usageArb, contextArb, (config, usage, context) => {
        const bill = calculateBill(usage, config, context);
        const unit = { n: 1n, d: 10n ** BigInt(config.rounding.minorUnits) };
        const pairs: [string, Rational][] = [
          [bill.lines.tokenCost, bill.exact.tokenCost],
          [bill.lines.discount, bill.exact.discount],
          [bill.lines.streaming, bill.exact.streaming],
          [bill.lines.bandwidthPremium, bill.exact.bandwidthPremium],
          [bill.lines.infrastructure, bill.exact.infrastructure],
          [bill.lines.subtotal, bill.exact.subtotal],
          [bill.lines.slaPenalty, bill.exact.slaPenalty],
          [bill.lines.total, bill.exact.total],
          ...bill.lines.taxes.map((t, i): [string, Rational] => [t.amount, bill.exact.taxes[i]!]),
        ];
        for (const [line, exact] of pairs) {
          const diff = sub(parseDecimal(line), exact);
          expect(compare(diff.n < 0n ? { n: -diff.n, d: diff.d } : diff, unit)).toBeLessThanOrEqual(0);
        }
        // The exact values obey docs/design.md "Money" step 7 without any rounding.
        let total = sub(bill.exact.subtotal, bill.exact.slaPenalty);
        for (const t of bill.exact.taxes) total = add(total, t);
        expect(equals(total, bill.exact.total)).toBe(true);
      }),
    );
  });

  it('no line and no total is ever below zero', () => {
    fc.assert(
      fc.property(configArb, usageArb, contextArb, (config, usage, context) => {
        const l = calculateBill(usage, config, context).lines;
        for (const v of [l.tokenCost, l.discount, l.streaming, l.bandwidthPremium, l.infrastructure, l.subtotal, l.slaPenalty, l.total, ...l.taxes.map((t) => t.amount)]) {
          expect(v.startsWith('-')).toBe(false);
        }
      }),
    );
  });

  it('under graduated tiers, more usage never costs less', () => {
    fc.assert(
      fc.property(configArb, fc.nat(20_000), fc.nat(20_000), fc.nat(20_000), (config, before, a, extra) => {
        const graduated = { ...config, volumeDiscount: { ...config.volumeDiscount!, mode: 'graduated' as const } };
        const bill = (tokens: number) => calculateBill({ usage: { inputTokens: tokens, outputTokens: tokens }, durationMs: 1000, bytes: 0 }, graduated, { periodTokensBefore: before });
        expect(compare(bill(a).exact.total, bill(a + extra).exact.total)).toBeLessThanOrEqual(0);
        expect(compare(parseDecimal(bill(a).lines.total), parseDecimal(bill(a + extra).lines.total))).toBeLessThanOrEqual(0);
      }),
    );
  });
});
