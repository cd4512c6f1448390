import type { BillLines } from '../protocol/billing';
import type { ExactBill } from './bill-types';
import type { ExchangeFactor } from './bill-steps';
import type { CompiledPricing, SlaOutcome, VolumeDiscount } from './compile-pricing';
import { exactNumerators, type ExactNumerators } from './exact-numerators';
import type { Rational } from './rational';
import type { LineUnits } from './report-cost-sum';

type TaxLine = BillLines['taxes'][number];

/**
 * What `calculateBill` wrote for one bill and what it priced it from, in one object: the bill's
 * `exact` amounts, and what its lines (PricedBillLines) keep out of sight for a usage report.
 *
 * - What was written: the nine amounts as written, `s0` to `s8` in REPORT_COST_LINES order (to
 *   notice a line changed afterwards; `s7` is the frozen tax-line array), the number of places, and
 *   the nine units of 10^-places in the same order (`u7` the tax lines summed), with, for units held
 *   as numbers, their sum. Fixed fields, not an array: the report reads each at a fixed offset. The
 *   amounts are not named like the lines' own fields: with the same names the report's check
 *   compiled to a map check of both objects after every string comparison.
 * - The exact amounts, made when read: the token cost (over base / lift, a bigint, or a number when
 *   the bill was priced on numbers, where it is an exact safe integer), the counts, and the steps'
 *   results (discount rate, exchange factor, SLA outcome, taxes), from which exactNumerators gives
 *   the bigint path's numerators. A bill kept ten numerators before (an array of doubles and an
 *   object around it, 176 bytes); nobody reads them on the way from pricing to a report.
 *
 * One object instead of three (the written amounts, the exact amounts and their array): about 100
 * bytes less per bill, which is garbage a million bills at a time.
 */
export class WrittenBill<U extends bigint | number> implements LineUnits<U>, ExactBill {
  constructor(
    readonly s0: string,
    readonly s1: string,
    readonly s2: string,
    readonly s3: string,
    readonly s4: string,
    readonly s5: string,
    readonly s6: string,
    readonly s7: readonly TaxLine[],
    readonly s8: string,
    readonly places: number,
    readonly u0: U,
    readonly u1: U,
    readonly u2: U,
    readonly u3: U,
    readonly u4: U,
    readonly u5: U,
    readonly u6: U,
    readonly u7: U,
    readonly u8: U,
    /** For units held as numbers: their sum, every unit being ≥ 0 (it bounds each of them for a report). */
    readonly unitsSum: number | undefined,
    private readonly pricing: CompiledPricing,
    /** The token cost over base / lift: exact, a safe integer when a number. */
    private readonly tokens: bigint | number,
    private readonly durationMs: number,
    private readonly bytes: number,
    private readonly connections: number,
    private readonly discountRate: VolumeDiscount,
    private readonly exchange: ExchangeFactor,
    private readonly outcome: SlaOutcome | undefined,
    private readonly taxRates: CompiledPricing['taxes'],
  ) {}

  private numerators(): ExactNumerators {
    const t = this.tokens;
    return exactNumerators(this.pricing, typeof t === 'bigint' ? t : BigInt(t), this.durationMs, this.bytes, this.connections, this.discountRate, this.exchange, this.outcome, this.taxRates);
  }
  // The denominators are divided by roundGcd (see CompiledPricing.roundDivisor) and restored here.
  private over1(pick: (e: ExactNumerators) => bigint): Rational {
    const e = this.numerators();
    return { n: pick(e), d: e.subtotalDenominator * this.pricing.roundGcd };
  }
  private over2(pick: (e: ExactNumerators) => bigint): Rational {
    const e = this.numerators();
    return { n: pick(e), d: e.totalDenominator * this.pricing.roundGcd };
  }
  get tokenCost(): Rational { return this.over1((e) => e.tokenCost); }
  get discount(): Rational { return this.over1((e) => e.discount); }
  get streaming(): Rational { return this.over1((e) => e.streaming); }
  get bandwidthPremium(): Rational { return this.over1((e) => e.premium); }
  get infrastructure(): Rational { return this.over1((e) => e.infrastructure); }
  get subtotal(): Rational { return this.over1((e) => e.subtotal); }
  get slaPenalty(): Rational { return this.over2((e) => e.penalty); }
  get taxes(): Rational[] {
    const e = this.numerators();
    const d = e.totalDenominator * this.pricing.roundGcd;
    return e.taxes.map((n) => ({ n, d }));
  }
  get total(): Rational { return this.over2((e) => e.total); }
}
// One instance with bigints in the unit, token and count fields made first: V8 then keeps those
// fields as tagged values (a small integer unboxed, a bigint or a large number by reference),
// whatever the first bill is. A field that had only seen numbers would be stored as a double, each
// in a box of its own, from the first value past 2^31 on (the token cost nearly always is): more
// allocations per bill.
const tagged = 0n as unknown as number;
new WrittenBill('', '', '', '', '', '', '', [], '', 0, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, tagged, undefined as never, 0n, tagged, tagged, tagged, undefined as never, undefined as never, undefined, []);
