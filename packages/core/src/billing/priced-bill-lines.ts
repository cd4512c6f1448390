import type { BillLines } from '../protocol/billing';
import type { ReportCostSums } from './report-cost-sum';

type TaxLine = BillLines['taxes'][number];
type Breach = BillLines['slaBreaches'][number];

/** Where the units start in PricedBillLines' written array. */
const UNITS = 10;

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
  /**
   * What was written, in one array: the nine amounts as written, to notice a line changed
   * afterwards, then the number of places and (from UNITS on) the nine units of 10^-places in
   * REPORT_COST_LINES order, and for units held as numbers their sum. One private field instead of eleven: fewer
   * properties to define per bill and to read per report line.
   */
  readonly #written: readonly unknown[];

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
    this.#written = [
      tokenCost, discount, streaming, bandwidthPremium, infrastructure, subtotal, slaPenalty, taxes, total, places,
      tokenCostUnits, discountUnits, streamingUnits, premiumUnits, infrastructureUnits, subtotalUnits, penaltyUnits, taxUnits, totalUnits, unitsSum,
    ];
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
      lines.tokenCost !== w[0] ||
      lines.discount !== w[1] ||
      lines.streaming !== w[2] ||
      lines.bandwidthPremium !== w[3] ||
      lines.infrastructure !== w[4] ||
      lines.subtotal !== w[5] ||
      lines.slaPenalty !== w[6] ||
      lines.taxes !== w[7] || // the written tax lines are frozen
      lines.total !== w[8]
    ) {
      return false;
    }
    const places = w[9] as number;
    // A bill without tax lines adds nothing to `taxes`, as the strings do (a stored copy has no tax
    // amount to parse, and SQL sums its tax_total 0): adding its 0 units at `places` would give the
    // taxes sum those places, "0.000000" where the same report from storage says "0".
    const taxes = (w[7] as readonly unknown[]).length > 0;
    // All nine are numbers (the bill was priced on numbers) or all bigints.
    if (typeof w[UNITS] === 'number') sums.addSafeUnits(w, UNITS, places, taxes, w[UNITS + 9] as number);
    else sums.addUnits(w, UNITS, places, taxes);
    return true;
  }
}
