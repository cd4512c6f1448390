import type { BillLines } from '../protocol/billing';
import { DecimalSum } from './decimal-sum';

/** The number of cost lines a report sums (REPORT_COST_LINES), and the index of `taxes` among them. */
export const COST_LINES = 9;
const TAXES = 7;

/** The number part of a line stays within ±2^52; adding a safe integer to it is then exact or visibly past the bound. */
const LIMIT = 2 ** 52;

/**
 * The exact sums of one report group's nine cost lines (REPORT_COST_LINES order). Each line is a
 * {@link DecimalSum}: decimal strings (a stored record's lines) and bigint counts (a bill priced on
 * bigints) go straight to it. The counts of bills priced on numbers (bill-on-numbers.ts, nearly
 * every bill) are added as numbers first, one Float64Array element per line, all at the places of
 * the first such bill, and moved into the DecimalSums when another number of places comes, before a
 * line's number could leave ±2^52, and when the sums are read.
 *
 * The result is the DecimalSums' exactly, scale included (a DecimalSum's scale is the most places
 * added, zeros included, in any order): every line of a bill is added at its places, except that a
 * bill without tax lines adds nothing to `taxes` (as the strings of a stored copy have no tax amount
 * to add), so `taxes` gets the places only once a bill with tax lines was added. The same report as
 * nine ReportCostSum objects gave, without a call, a field load and a field store per line and bill.
 */
export class ReportCostSums {
  private readonly exact: DecimalSum[] = [];
  /** Per line, a count of 10^-places units: an integer within ±2^52. */
  private readonly small = new Float64Array(COST_LINES);
  /** The places of `small`, -1 while nothing is held in it. */
  private places = -1;
  /** Whether a bill with tax lines was added to `small` (only then does `taxes` get its places). */
  private taxesHeld = false;

  constructor() {
    for (let i = 0; i < COST_LINES; i++) this.exact.push(new DecimalSum());
  }

  /** Adds a bill's lines as written, decimal strings (see {@link DecimalSum.add}); `taxes` is the sum of its tax lines. */
  addLines(l: BillLines): void {
    const e = this.exact;
    e[0]!.add(l.tokenCost);
    e[1]!.add(l.discount);
    e[2]!.add(l.streaming);
    e[3]!.add(l.bandwidthPremium);
    e[4]!.add(l.infrastructure);
    e[5]!.add(l.subtotal);
    e[6]!.add(l.slaPenalty);
    for (let i = 0; i < l.taxes.length; i++) e[TAXES]!.add(l.taxes[i]!.amount);
    e[8]!.add(l.total);
  }

  /**
   * Adds a bill's nine line amounts, `units[from]` to `units[from + 8]`: integer counts of
   * 10^-places units, each a safe integer held as a number. `taxes`: whether the bill has tax lines
   * (without, its taxes count is 0 and the line gets nothing, not even the places).
   */
  addSafeUnits(units: readonly unknown[], from: number, places: number, taxes: boolean): void {
    if (places !== this.places) {
      this.settle();
      this.places = places;
    }
    // Written out line by line (a loop cost a third more here).
    const s = this.small;
    this.addLine(s, 0, units[from + 0] as number);
    this.addLine(s, 1, units[from + 1] as number);
    this.addLine(s, 2, units[from + 2] as number);
    this.addLine(s, 3, units[from + 3] as number);
    this.addLine(s, 4, units[from + 4] as number);
    this.addLine(s, 5, units[from + 5] as number);
    this.addLine(s, 6, units[from + 6] as number);
    this.addLine(s, 7, units[from + 7] as number);
    this.addLine(s, 8, units[from + 8] as number);
    if (taxes) this.taxesHeld = true;
  }

  /**
   * Adds a safe integer `u` to line `i`'s number part. s[i] is within ±2^52, so the exact sum is
   * below 2^54 in size. A computed sum within ±2^52 is the exact one (below 2^53 every integer is a
   * double, and rounding is monotone, so an exact sum past ±2^52 cannot come out within it); past the
   * bound both terms, exact integers, go to the DecimalSum as bigints.
   */
  private addLine(s: Float64Array, i: number, u: number): void {
    const sum = s[i]! + u;
    if (sum <= LIMIT && sum >= -LIMIT) s[i] = sum;
    else {
      this.exact[i]!.addUnits(BigInt(s[i]!) + BigInt(u), this.places);
      s[i] = 0;
    }
  }

  /** {@link addSafeUnits} for counts held as bigints (a bill priced on bigints). */
  addUnits(units: readonly unknown[], from: number, places: number, taxes: boolean): void {
    const e = this.exact;
    for (let i = 0; i < COST_LINES; i++) if (i !== TAXES || taxes) e[i]!.addUnits(units[from + i] as bigint, places);
  }

  /** Adds another group's sums. */
  addSums(other: ReportCostSums): void {
    other.settle();
    for (let i = 0; i < COST_LINES; i++) this.exact[i]!.addSum(other.exact[i]!);
  }

  /** Line `i`'s exact sum as a decimal string (see {@link DecimalSum.toString}). */
  line(i: number): string {
    this.settle();
    return this.exact[i]!.toString();
  }

  /** Moves the number part into the DecimalSums (its places raise their scale even where it is 0). */
  private settle(): void {
    const places = this.places;
    if (places < 0) return;
    const s = this.small;
    for (let i = 0; i < COST_LINES; i++) {
      if (i !== TAXES || this.taxesHeld) this.exact[i]!.addUnits(BigInt(s[i]!), places);
      s[i] = 0;
    }
    this.places = -1;
    this.taxesHeld = false;
  }
}
