import type { BillLines } from '../protocol/billing';
import type { ReportCostSums } from './report-cost-sum';
import type { WrittenBill } from './written-bill';

type TaxLine = BillLines['taxes'][number];
type Breach = BillLines['slaBreaches'][number];

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
  /** What was written (see WrittenBill, which is also the bill's `exact`): one private field. */
  readonly #written: WrittenBill<bigint> | WrittenBill<number>;

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
    /** The same strings, the places and the units they were written from (WrittenBill). */
    written: WrittenBill<bigint> | WrittenBill<number>,
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
    this.#written = written;
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
    if (typeof w.u0 === 'number') sums.addSafeUnits(w as WrittenBill<number>, w.places, taxes, w.unitsSum!);
    else sums.addUnits(w as WrittenBill<bigint>, w.places, taxes);
    return true;
  }
}
