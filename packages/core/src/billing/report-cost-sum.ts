import type { BillLines } from '../protocol/billing';
import { DecimalSum } from './decimal-sum';

/** The number of cost lines a report sums (REPORT_COST_LINES), and the index of `taxes` among them. */
export const COST_LINES = 9;
const TAXES = 7;

const MAX = Number.MAX_SAFE_INTEGER;

/** A bill's nine line amounts in units of 10^-places, in REPORT_COST_LINES order (`u7`: the tax lines summed). */
export interface LineUnits<U extends bigint | number> {
  readonly u0: U;
  readonly u1: U;
  readonly u2: U;
  readonly u3: U;
  readonly u4: U;
  readonly u5: U;
  readonly u6: U;
  readonly u7: U;
  readonly u8: U;
}

function unitList<U extends bigint | number>(u: LineUnits<U>): U[] {
  return [u.u0, u.u1, u.u2, u.u3, u.u4, u.u5, u.u6, u.u7, u.u8];
}

/**
 * The exact sums of one report group's nine cost lines (REPORT_COST_LINES order). Each line is a
 * {@link DecimalSum}: decimal strings (a stored record's lines) and bigint counts (a bill priced on
 * bigints) go straight to it. The counts of bills priced on numbers (bill-on-numbers.ts, nearly
 * every bill) are added as numbers first, one number field per line, all at the places of the
 * first such bill, and moved into the DecimalSums when another number of places comes, before a
 * line's number could leave the safe integers, and when the sums are read.
 *
 * Why the number part is exact: `headroom` is at least the magnitude of every line's number (it
 * grows by at least the sum of a bill's nine magnitudes, ≥ each of them, which a priced bill
 * carries), and a bill is added to the numbers
 * only while headroom + that sum ≤ 2^53 − 1. Every line's new value is then an integer of magnitude
 * at most that bound, so each addition is exact. The one bound check per bill replaced one per line
 * (two comparisons and a branch each), and the nine fields a Float64Array's loads and stores with
 * their bounds checks. (A sum of non-negative doubles whose exact value passes 2^53 − 1 comes out
 * at 2^53 or more, so a computed sum within the bound is exact, and one past it is seen.)
 *
 * The result is the DecimalSums' exactly, scale included (a DecimalSum's scale is the most places
 * added, zeros included, in any order): every line of a bill is added at its places, except that a
 * bill without tax lines adds nothing to `taxes` (as the strings of a stored copy have no tax amount
 * to add), so `taxes` gets the places only once a bill with tax lines was added.
 */
export class ReportCostSums {
  private readonly exact: DecimalSum[] = [];
  // Per line, a count of 10^-places units: an integer within ±headroom.
  private n0 = 0;
  private n1 = 0;
  private n2 = 0;
  private n3 = 0;
  private n4 = 0;
  private n5 = 0;
  private n6 = 0;
  private n7 = 0;
  private n8 = 0;
  /** At least |n0| … |n8|, and at most MAX_SAFE_INTEGER. */
  private headroom = 0;
  /** The places of the numbers, -1 while nothing is held in them. */
  private places = -1;
  /** Whether a bill with tax lines was added to the numbers (only then does `taxes` get its places). */
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
   * Adds a bill's nine line amounts: integer counts of 10^-places units, each a safe integer held
   * as a number. `taxes`: whether the bill has tax lines (without, its taxes count is 0 and the
   * line gets nothing, not even the places). `most`: at least the sum of their magnitudes (a priced
   * bill carries the sum of its counts, all ≥ 0), a safe integer, or past 2^53 − 1 (then the counts
   * go to the DecimalSums).
   */
  addSafeUnits(units: LineUnits<number>, places: number, taxes: boolean, most: number): void {
    // The rare case in a method of its own: this one stays small enough to be inlined in the report's loop.
    if (places !== this.places || this.headroom + most > MAX) {
      if (!this.restartNumbers(units, places, taxes, most)) return;
    }
    this.n0 += units.u0;
    this.n1 += units.u1;
    this.n2 += units.u2;
    this.n3 += units.u3;
    this.n4 += units.u4;
    this.n5 += units.u5;
    this.n6 += units.u6;
    this.n7 += units.u7;
    this.n8 += units.u8;
    this.headroom += most;
    if (taxes) this.taxesHeld = true;
  }

  /**
   * Before numbers at other places, or numbers that could leave the bound: the number part moves
   * into the DecimalSums and starts over at `places`; false when the counts themselves are too large
   * for it (amounts past 10^15 units), which then go to the DecimalSums as they come.
   */
  private restartNumbers(units: LineUnits<number>, places: number, taxes: boolean, most: number): boolean {
    this.settle();
    if (most > MAX) {
      const e = this.exact;
      const list = unitList(units);
      for (let i = 0; i < COST_LINES; i++) if (i !== TAXES || taxes) e[i]!.addUnits(BigInt(list[i]!), places);
      return false;
    }
    this.places = places;
    return true;
  }

  /** {@link addSafeUnits} for counts held as bigints (a bill priced on bigints). */
  addUnits(units: LineUnits<bigint>, places: number, taxes: boolean): void {
    const e = this.exact;
    const list = unitList(units);
    for (let i = 0; i < COST_LINES; i++) if (i !== TAXES || taxes) e[i]!.addUnits(list[i]!, places);
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
    const numbers = [this.n0, this.n1, this.n2, this.n3, this.n4, this.n5, this.n6, this.n7, this.n8];
    for (let i = 0; i < COST_LINES; i++) if (i !== TAXES || this.taxesHeld) this.exact[i]!.addUnits(BigInt(numbers[i]!), places);
    this.n0 = this.n1 = this.n2 = this.n3 = this.n4 = this.n5 = this.n6 = this.n7 = this.n8 = 0;
    this.headroom = 0;
    this.places = -1;
    this.taxesHeld = false;
  }
}
