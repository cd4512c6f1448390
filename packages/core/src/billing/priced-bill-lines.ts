import type { BillLines } from '../protocol/billing';
import type { LineUnits, ReportCostSums } from './report-cost-sum';

type TaxLine = BillLines['taxes'][number];
type Breach = BillLines['slaBreaches'][number];

/**
 * What a PricedBillLines wrote: the nine amounts as written, `s0` to `s8` in REPORT_COST_LINES order
 * (to notice a line changed afterwards; `s7` is the frozen tax-line array), the number of places,
 * and the nine units of 10^-places in the same order (`u7` the tax lines summed), with, for units
 * held as numbers, their sum. An object of fixed fields, not an array: 24 bytes less per bill (the
 * array's two headers), and the report reads each at a fixed offset without an index's bounds
 * check. The amounts are not named like the lines' own fields: with the same names (tokenCost …)
 * the report's check compiled to a map check of both objects after every string comparison, 110
 * instructions per record more (callgrind), the whole gain.
 */
class Written<U extends bigint | number> implements LineUnits<U> {
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
    readonly unitsSum: number | undefined,
  ) {}
}
// One instance with bigint units made first: V8 then keeps the unit fields as tagged values (a
// small integer unboxed, a bigint or a large number by reference), whatever the first bill is. A
// field that had only seen numbers would be stored as a double, each in a box of its own, from the
// first bill past 2^31 units on: ten more allocations per bill.
new Written('', '', '', '', '', '', '', [], '', 0, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n as unknown as number);

/**
 * The lines of a bill as `calculateBill` writes them: a plain-data object (JSON, spreads and schema
 * parsing see exactly the BillLines fields) that also keeps, out of sight, the integer amounts the
 * strings were written from. A usage report adds those integers instead of parsing nine decimal
 * strings per record again, which was a fifth of the cost of reporting on records just priced.
 *
 * The integers are used only while every amount string is still the one written from them (a
 * reference comparison per line; freezing the object instead cost more than the parsing it saves).
 * The tax lines are frozen. A copy (a spread, a stored row read back) is a plain object, and the
 * report parses its strings.
 */
export class PricedBillLines implements BillLines {
  // Declared, not defined: the constructor assigns them in this order (the order JSON and
  // Object.keys see), so each is written once instead of defined as undefined and then set.
  declare tokenCost: string;
  declare discount: string;
  declare streaming: string;
  declare bandwidthPremium: string;
  declare infrastructure: string;
  declare subtotal: string;
  declare slaPenalty: string;
  declare slaBreaches: Breach[];
  declare slaPenaltyPercent: string;
  declare taxes: TaxLine[];
  declare discountPercent: string;
  declare total: string;
  /** What was written (see Written): one private field instead of twenty, fewer properties to define per bill. */
  readonly #written: Written<bigint> | Written<number>;

  // Positional: only calculateBill constructs these, a million at a time.
  constructor(
    tokenCost: string,
    discount: string,
    streaming: string,
    bandwidthPremium: string,
    infrastructure: string,
    subtotal: string,
    slaPenalty: string,
    slaBreaches: Breach[],
    slaPenaltyPercent: string,
    taxes: TaxLine[],
    discountPercent: string,
    total: string,
    places: number,
    // The units of 10^-places in REPORT_COST_LINES order (the tax lines summed): bigints, or numbers
    // when the bill was priced on numbers. Passed one by one: no array made to be copied.
    tokenCostUnits: bigint | number,
    discountUnits: bigint | number,
    streamingUnits: bigint | number,
    premiumUnits: bigint | number,
    infrastructureUnits: bigint | number,
    subtotalUnits: bigint | number,
    penaltyUnits: bigint | number,
    taxUnits: bigint | number,
    totalUnits: bigint | number,
    /** For units held as numbers: their sum, every unit being ≥ 0 (it bounds each of them for a report). */
    unitsSum?: number,
  ) {
    this.tokenCost = tokenCost;
    this.discount = discount;
    this.streaming = streaming;
    this.bandwidthPremium = bandwidthPremium;
    this.infrastructure = infrastructure;
    this.subtotal = subtotal;
    this.slaPenalty = slaPenalty;
    this.slaBreaches = slaBreaches;
    this.slaPenaltyPercent = slaPenaltyPercent;
    this.taxes = taxes;
    this.discountPercent = discountPercent;
    this.total = total;
    this.#written = new Written<bigint | number>(
      tokenCost, discount, streaming, bandwidthPremium, infrastructure, subtotal, slaPenalty, taxes, total, places,
      tokenCostUnits, discountUnits, streamingUnits, premiumUnits, infrastructureUnits, subtotalUnits, penaltyUnits, taxUnits, totalUnits, unitsSum,
    ) as Written<bigint> | Written<number>;
  }

  /**
   * Adds the exact amounts behind the strings to a report group's cost-line sums, when `lines`
   * came from `calculateBill` and no amount was changed since; false (nothing added) otherwise, and
   * the caller parses the strings.
   */
  static addUnitsTo(lines: BillLines, sums: ReportCostSums): boolean {
    if (!(lines instanceof PricedBillLines)) return false;
    const w = lines.#written;
    if (
      lines.tokenCost !== w.s0 ||
      lines.discount !== w.s1 ||
      lines.streaming !== w.s2 ||
      lines.bandwidthPremium !== w.s3 ||
      lines.infrastructure !== w.s4 ||
      lines.subtotal !== w.s5 ||
      lines.slaPenalty !== w.s6 ||
      lines.taxes !== w.s7 || // the written tax lines are frozen
      lines.total !== w.s8
    ) {
      return false;
    }
    // A bill without tax lines adds nothing to `taxes`, as the strings do (a stored copy has no tax
    // amount to parse, and SQL sums its tax_total 0): adding its 0 units at `places` would give the
    // taxes sum those places, "0.000000" where the same report from storage says "0".
    const taxes = w.s7.length > 0;
    // All nine are numbers (the bill was priced on numbers) or all bigints.
    if (typeof w.u0 === 'number') sums.addSafeUnits(w as Written<number>, w.places, taxes, w.unitsSum!);
    else sums.addUnits(w as Written<bigint>, w.places, taxes);
    return true;
  }
}
