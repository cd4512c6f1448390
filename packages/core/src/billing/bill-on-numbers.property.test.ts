import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StreamBillingConfig, StreamBillingRecord } from '../protocol/billing';
import type { Bill, BillingContext, MeteredUsage } from './bill-types';
import { finalizeBillingRecord } from './billing-record';
import { roundSafe } from './bill-on-numbers';
import { calculateBill, calculateBillOnBigints } from './calculate-bill';
import { DEFAULT_PRICING } from './default-pricing';
import { roundEvenQuotientToUnits } from './round-rational';
import { testBillingConfig } from './test-billing-config';
import { buildUsageReport } from './usage-report';

/*
 * calculateBill prices a bill on numbers (bill-on-numbers.ts) whenever every value fits a safe
 * integer, and on bigints otherwise. Here the number path is held to the bigint path, bill by bill:
 * random tables (catalogue-like ones, and wide ones: prices to 0–9 places, rates and penalties with
 * decimals, premium thresholds past 3 places of KB), context tiers, taxes, every rounding mode at
 * 0–12 places, counts from 0 to 2^50; the counts on both sides of the largest the number path
 * accepts; rounding ties; and reports over both.
 */

const MAX = Number.MAX_SAFE_INTEGER;

/** Whether this bill was priced on numbers (its written units, and the token cost its exact amounts are made from, are numbers then). */
function onNumbers(bill: Bill): boolean {
  return typeof (bill.exact as unknown as { u0: unknown }).u0 === 'number';
}

function expectSameBill(fast: Bill, slow: Bill): void {
  // The lines as JSON: the same strings in the same order (what records, receipts and stored rows carry).
  expect(JSON.stringify(fast.lines)).toBe(JSON.stringify(slow.lines));
  expect(fast.lines).toStrictEqual(slow.lines);
  const { lines: _a, exact: ea, ...restFast } = fast;
  const { lines: _b, exact: eb, ...restSlow } = slow;
  expect(restFast).toStrictEqual(restSlow);
  for (const key of ['tokenCost', 'discount', 'streaming', 'bandwidthPremium', 'infrastructure', 'subtotal', 'slaPenalty', 'total', 'taxes'] as const) {
    expect(ea[key]).toStrictEqual(eb[key]);
  }
}

/** A decimal string with `places` decimals from an integer count of 10^-places. */
function decimal(n: bigint, places: number): string {
  const digits = n.toString().padStart(places + 1, '0');
  return places === 0 ? digits : `${digits.slice(0, -places)}.${digits.slice(-places)}`;
}
/** Prices like the catalogue's (up to 10,000 units at 4 to 6 places, at most 1 a unit) and whole percents: bills that mostly fit numbers. */
const ordinaryPrice = fc.tuple(fc.bigInt({ min: 0n, max: 10_000n }), fc.integer({ min: 4, max: 6 })).map(([n, p]) => decimal(n, p));
const wholePercent = fc.integer({ min: 0, max: 100 }).map(String);
/** Prices up to 10^12 at up to 9 places, percents with decimals: tables whose bills often do not fit. */
const widePrice = fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.nat(9)).map(([n, p]) => decimal(n, p));
const anyPercent = fc.tuple(fc.integer({ min: 0, max: 100 }), fc.constantFrom('', '.5', '.25', '.001')).map(([n, f]) => (n === 100 ? '100' : `${n}${f}`));
const mode = fc.constantFrom('half-up' as const, 'half-even' as const, 'down' as const, 'up' as const);

const configArb = fc.oneof(
  { arbitrary: tableArb(ordinaryPrice, wholePercent, fc.integer({ min: 2, max: 8 }), fc.nat(1_000).map(String)), weight: 3 },
  { arbitrary: tableArb(fc.oneof(ordinaryPrice, widePrice), fc.oneof(wholePercent, anyPercent), fc.integer({ min: 0, max: 12 }), fc.oneof(ordinaryPrice, widePrice)), weight: 1 },
);
function tableArb(price: fc.Arbitrary<string>, percent: fc.Arbitrary<string>, minorUnits: fc.Arbitrary<number>, thresholdKB: fc.Arbitrary<string>): fc.Arbitrary<StreamBillingConfig> {
  return fc
    .record({
      rounding: mode,
      minorUnits,
      prices: fc.array(price, { minLength: 10, maxLength: 10 }),
      premium: fc.option(fc.tuple(thresholdKB, price), { nil: undefined }),
      discount: fc.option(fc.tuple(fc.constantFrom('volume' as const, 'graduated' as const), fc.nat(5_000), fc.nat(50_000), percent, percent), { nil: undefined }),
      sla: fc.option(fc.array(percent, { minLength: 4, maxLength: 4 }), { nil: undefined }),
      taxes: fc.array(fc.tuple(fc.constantFrom('*', 'DE', 'CA'), percent, fc.boolean()), { maxLength: 3 }),
      tier: fc.option(fc.tuple(fc.nat(3_000), price, price), { nil: undefined }),
    })
    .map((a): StreamBillingConfig =>
      testBillingConfig({
        rounding: { mode: a.rounding, minorUnits: a.minorUnits },
        tokens: {
          inputPer1K: a.prices[0]!,
          cachedInputReadPer1K: a.prices[1]!,
          cachedInputWritePer1K: a.prices[2]!,
          outputPer1K: a.prices[3]!,
          reasoningPer1K: a.prices[4]!,
          ...(a.tier ? { contextTiers: [{ aboveInputTokens: a.tier[0], inputPer1K: a.tier[1], outputPer1K: a.tier[2] }] } : {}),
        },
        streaming: { perSecond: a.prices[5]!, perMB: a.prices[6]! },
        ...(a.premium ? { bandwidthPremium: { thresholdKB: a.premium[0], perKB: a.premium[1] } } : {}),
        infrastructure: { perConnection: a.prices[8]!, perHour: a.prices[9]! },
        ...(a.discount
          ? { volumeDiscount: { mode: a.discount[0], tiers: [{ thresholdTokens: a.discount[1], ratePercent: a.discount[3] }, { thresholdTokens: a.discount[1] + 1 + a.discount[2], ratePercent: a.discount[4] }] } }
          : {}),
        ...(a.sla
          ? {
              sla: {
                uptime: { minPercent: '99', penaltyPercent: a.sla[0]! },
                latency: { maxMs: 500, percentile: 'p95' as const, penaltyPercent: a.sla[1]! },
                bandwidth: { minMBps: '1.5', penaltyPercent: a.sla[2]! },
                maxPenaltyPercent: a.sla[3]!,
              },
            }
          : {}),
        taxes: a.taxes.map(([jurisdiction, ratePercent, reverseCharge], i) => ({ jurisdiction, name: `t${i}`, ratePercent, reverseCharge })),
      }),
    );
}

// Mostly ordinary counts; now and then one far past what the number path takes.
const countArb = fc.oneof({ arbitrary: fc.nat(5_000), weight: 30 }, { arbitrary: fc.nat(10_000_000), weight: 1 }, { arbitrary: fc.nat(2 ** 50), weight: 1 });
const usageArb = usageOf(countArb);
const smallUsageArb = usageOf(fc.oneof({ arbitrary: fc.nat(5_000), weight: 10 }, { arbitrary: fc.nat(10_000_000), weight: 2 }, { arbitrary: fc.nat(2 ** 42), weight: 1 }));
function usageOf(countArb: fc.Arbitrary<number>): fc.Arbitrary<MeteredUsage> {
  return fc
    .record({ cr: countArb, cw: countArb, plain: countArb, reasoning: countArb, out: countArb, ms: countArb, bytes: countArb, conns: fc.integer({ min: 1, max: 5 }), known: fc.boolean() })
    .map(
      (u): MeteredUsage => ({
        usage: u.known
          ? { inputTokens: u.cr + u.cw + u.plain, cacheReadTokens: u.cr, cacheWriteTokens: u.cw, outputTokens: u.out + u.reasoning, reasoningTokens: u.reasoning }
          : { inputTokens: u.plain },
        durationMs: u.ms,
        bytes: u.bytes,
        connections: u.conns,
      }),
    );
}
const contextArb = fc.record(
  {
    periodTokensBefore: fc.oneof(fc.nat(60_000), fc.nat(2 ** 44)),
    sla: fc.record({ uptimePercent: fc.constantFrom('98', '99', '100'), latencyMs: fc.constantFrom(100, 500, 900), bandwidthMBps: fc.constantFrom('0.5', '1.5', '3') }),
    jurisdiction: fc.constantFrom('DE', 'DE-BY', 'FR', 'CA-BC'),
  },
  { requiredKeys: [] },
);

/** Both prices; the same outcome (the same bill, or the same error). Returns whether the number path priced it. */
function check(usage: MeteredUsage, config: StreamBillingConfig, context: BillingContext): boolean {
  let slow: Bill;
  try {
    slow = calculateBillOnBigints(usage, config, context);
  } catch (error) {
    expect(() => calculateBill(usage, config, context)).toThrow((error as Error).message);
    return false;
  }
  const fast = calculateBill(usage, config, context);
  expectSameBill(fast, slow);
  return onNumbers(fast);
}

/** `usage` with one count set to `v` (the input kept ≥ its cached parts, the output ≥ its reasoning). */
type Knob = (u: MeteredUsage, v: number) => MeteredUsage;
const KNOBS: Knob[] = [
  (u, v) => ({ ...u, durationMs: v }),
  (u, v) => ({ ...u, bytes: v }),
  (u, v) => ({ ...u, usage: { ...u.usage, inputTokens: v + (u.usage?.cacheReadTokens ?? 0) + (u.usage?.cacheWriteTokens ?? 0) } }),
  (u, v) => ({ ...u, usage: { ...u.usage, outputTokens: v + (u.usage?.reasoningTokens ?? 0) } }),
];

describe('bills priced on numbers — the same as on bigints', () => {
  it('gives the bigint path’s bill for random tables, counts and contexts', () => {
    let viaNumbers = 0;
    let runs = 0;
    fc.assert(
      fc.property(configArb, usageArb, contextArb, (config, usage, context) => {
        runs++;
        if (check(usage, config, context)) viaNumbers++;
      }),
      { numRuns: 3000 },
    );
    // Both paths were exercised (a test that never took the number path would prove nothing).
    expect(viaNumbers).toBeGreaterThan(runs / 20);
    expect(viaNumbers).toBeLessThan(runs);
  });

  it('gives the bigint path’s bill on both sides of the largest count the number path accepts', () => {
    let edges = 0;
    fc.assert(
      fc.property(configArb, usageArb, contextArb, fc.nat(KNOBS.length - 1), (config, usage, context, k) => {
        const knob = KNOBS[k]!;
        const base = knob(usage, 0);
        if (!onNumbers(calculateBill(base, config, context))) return;
        // The largest v with the bill still on numbers (binary search; the values grow with v).
        let lo = 0;
        let hi = 2 ** 50;
        if (onNumbers(calculateBill(knob(usage, hi), config, context))) return;
        while (hi - lo > 1) {
          const mid = Math.floor((lo + hi) / 2);
          if (onNumbers(calculateBill(knob(usage, mid), config, context))) lo = mid;
          else hi = mid;
        }
        edges++;
        for (let v = Math.max(0, lo - 3); v <= lo + 3; v++) check(knob(usage, v), config, context);
      }),
      { numRuns: 400 },
    );
    expect(edges).toBeGreaterThan(50);
  });

  it('prices the shipped tables on numbers, with rounding ties and the largest amounts', () => {
    for (const config of DEFAULT_PRICING) {
      for (const ms of [0, 1, 499, 500, 501, 3_600_000, 2 ** 40]) {
        for (const tokens of [0, 1, 333, 999_999, 10 ** 9, 2 ** 45]) {
          const usage: MeteredUsage = { usage: { inputTokens: tokens, cacheReadTokens: tokens >> 1, outputTokens: tokens }, durationMs: ms, bytes: ms * 7, connections: 2 };
          const context: BillingContext = { periodTokensBefore: tokens * 3, sla: { uptimePercent: '97', latencyMs: 900 } };
          check(usage, config, context);
        }
      }
      // An ordinary stream is priced on numbers.
      expect(check({ usage: { inputTokens: 1200, outputTokens: 350 }, durationMs: 4_250, bytes: 18_400 }, config, { periodTokensBefore: 2_000_000 })).toBe(true);
    }
  });

  it('reports the same totals from bills priced on numbers as from the same bills on bigints', () => {
    fc.assert(
      // Counts below 2^44 each, so that 40 records' token counts stay safe integers in the report's totals.
      fc.property(fc.array(fc.tuple(fc.nat(DEFAULT_PRICING.length - 1), smallUsageArb, contextArb), { minLength: 1, maxLength: 40 }), (rows) => {
        const records = (price: typeof calculateBill): StreamBillingRecord[] =>
          rows.map(([t, usage, context], i) => {
            const config = DEFAULT_PRICING[t]!;
            const open: StreamBillingRecord = {
              id: `b${i}`, streamId: `s${i}`, idempotencyKey: `k${i}`, tenantId: 't', provider: config.provider, model: config.model, state: 'open',
              startedAt: '2025-06-10T12:00:00.000Z', usageEstimated: false, usageMissing: true, durationMs: 0, bytes: 0, currency: 'USD',
            };
            return finalizeBillingRecord(open, { endReason: 'complete', endedAt: '2025-06-10T12:00:30.000Z', metered: usage, bill: price(usage, config, { ...context, jurisdiction: undefined }) });
          });
        const options = { from: '2025-06-01T00:00:00Z', to: '2025-07-01T00:00:00Z', groupBy: ['provider', 'model'] as const, now: '2025-06-11T00:00:00Z' };
        expect(buildUsageReport(records(calculateBill), options)).toStrictEqual(buildUsageReport(records(calculateBillOnBigints), options));
      }),
      { numRuns: 300 },
    );
  });

  it('rounds on numbers as on bigints, at ties, exact multiples and the largest numerators allowed', () => {
    const modes = ['half-up', 'half-even', 'down', 'up'] as const;
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: 1, max: 1_000 }), fc.integer({ min: 1, max: 2 ** 40 })).map((h) => 2 * h),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: -2, max: 2 }),
        (d, at, k) => {
          // The largest numerator roundSafe is given: num + 2d ≤ MAX_SAFE_INTEGER (bill-on-numbers.ts).
          const top = MAX - 2 * d;
          const q = Math.floor((Math.floor(top * at) + 0) / d);
          // Around a multiple of d and around a tie, and at the top itself.
          for (const num of [q * d + k, q * d + d / 2 + k, top - (k < 0 ? -k : k)]) {
            if (num < 0 || num > top) continue;
            for (const mode of modes) {
              expect(roundSafe(num, d, d / 2, mode)).toBe(Number(roundEvenQuotientToUnits(BigInt(num), BigInt(d), BigInt(d / 2), 1n, mode)));
            }
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('gives the bigint path’s bill where lines round at ties (every count on a small grid, every mode)', () => {
    for (const mode of ['half-up', 'half-even', 'down', 'up'] as const) {
      for (const minorUnits of [0, 1, 2, 3]) {
        const config = testBillingConfig({
          rounding: { mode, minorUnits },
          tokens: { inputPer1K: '1', outputPer1K: '0.5' },
          streaming: { perSecond: '0.5', perMB: '0' },
          infrastructure: { perConnection: '0.05', perHour: '0' },
          volumeDiscount: { mode: 'volume', tiers: [{ thresholdTokens: 1_000, ratePercent: '50' }] },
          sla: { latency: { maxMs: 500, percentile: 'p95', penaltyPercent: '50' }, maxPenaltyPercent: '50' },
          taxes: [{ jurisdiction: '*', name: 'half', ratePercent: '50' }],
        });
        let viaNumbers = 0;
        for (let n = 0; n <= 2_000; n += 7) {
          if (check({ usage: { inputTokens: n, outputTokens: n >> 1 }, durationMs: n * 3, bytes: 0 }, config, { sla: { latencyMs: n % 2 === 0 ? 900 : 100 } })) viaNumbers++;
        }
        expect(viaNumbers).toBeGreaterThan(100);
      }
    }
  });

  it('leaves nothing past 2^53 to numbers', () => {
    expect(MAX).toBe(2 ** 53 - 1);
    const config = testBillingConfig({ tokens: { inputPer1K: '1000000', outputPer1K: '0' }, rounding: { mode: 'half-even', minorUnits: 12 } });
    // 2^40 tokens at 1,000,000 per 1K: far past 2^53 units of the table's denominator.
    const bill = calculateBill({ usage: { inputTokens: 2 ** 40, outputTokens: 0 }, durationMs: 0, bytes: 0 }, config);
    expect(onNumbers(bill)).toBe(false);
    expect(bill.lines.tokenCost).toBe('1099511627776000.000000000000');
  });
});
