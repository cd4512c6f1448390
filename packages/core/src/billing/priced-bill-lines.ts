import type { BillLines } from '../protocol/billing';
import type { DecimalSum } from './decimal-sum';

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
  tokenCost: string;
  discount: string;
  streaming: string;
  bandwidthPremium: string;
  infrastructure: string;
  subtotal: string;
  slaPenalty: string;
  slaBreaches: Breach[];
  slaPenaltyPercent: string;
  taxes: TaxLine[];
  discountPercent: string;
  total: string;
  /** Units of 10^-places, in REPORT_COST_LINES order (the tax lines summed). */
  readonly #units: readonly bigint[];
  readonly #places: number;
  // The amounts as written, to notice a line changed afterwards (fields, not a second object: a
  // million bills, a million fewer allocations).
  readonly #tokenCost: string;
  readonly #discount: string;
  readonly #streaming: string;
  readonly #bandwidthPremium: string;
  readonly #infrastructure: string;
  readonly #subtotal: string;
  readonly #slaPenalty: string;
  readonly #taxes: TaxLine[];
  readonly #total: string;

  // Positional, for the same reason; only calculateBill constructs these.
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
    units: readonly bigint[],
    places: number,
  ) {
    this.tokenCost = this.#tokenCost = tokenCost;
    this.discount = this.#discount = discount;
    this.streaming = this.#streaming = streaming;
    this.bandwidthPremium = this.#bandwidthPremium = bandwidthPremium;
    this.infrastructure = this.#infrastructure = infrastructure;
    this.subtotal = this.#subtotal = subtotal;
    this.slaPenalty = this.#slaPenalty = slaPenalty;
    this.slaBreaches = slaBreaches;
    this.slaPenaltyPercent = slaPenaltyPercent;
    this.taxes = this.#taxes = taxes;
    this.discountPercent = discountPercent;
    this.total = this.#total = total;
    this.#units = units;
    this.#places = places;
  }

  /**
   * Adds the exact amounts behind the strings to one running sum per report cost line, when `lines`
   * came from `calculateBill` and no amount was changed since; false (nothing added) otherwise, and
   * the caller parses the strings.
   */
  static addUnitsTo(lines: BillLines, sums: readonly DecimalSum[]): boolean {
    if (!(lines instanceof PricedBillLines)) return false;
    if (
      lines.tokenCost !== lines.#tokenCost ||
      lines.discount !== lines.#discount ||
      lines.streaming !== lines.#streaming ||
      lines.bandwidthPremium !== lines.#bandwidthPremium ||
      lines.infrastructure !== lines.#infrastructure ||
      lines.subtotal !== lines.#subtotal ||
      lines.slaPenalty !== lines.#slaPenalty ||
      lines.taxes !== lines.#taxes || // the written tax lines are frozen
      lines.total !== lines.#total
    ) {
      return false;
    }
    const units = lines.#units;
    const places = lines.#places;
    for (let i = 0; i < units.length; i++) sums[i]!.addUnits(units[i]!, places);
    return true;
  }
}
