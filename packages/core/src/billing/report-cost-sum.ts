import { DecimalSum } from './decimal-sum';

/** Number running sums stay within ±2^52, so adding a count within ±2^52 to one is exact (|sum| ≤ 2^53). */
const LIMIT = 2 ** 52;

/**
 * The exact sum of one cost line of a usage report. Amounts read from strings and bigint counts go
 * to a {@link DecimalSum}; the counts of bills priced on numbers (bill-on-numbers.ts, nearly every
 * bill) are added as numbers first, at the places of the first one, and moved into the DecimalSum
 * before the running number could leave ±2^52, and when the sum is read. Both are integer counts, so
 * the sum is the DecimalSum's exactly, scale included (a DecimalSum's scale is the most places
 * added, zeros included, in any order): the same report, without a bigint addition per line and record.
 */
export class ReportCostSum {
  private readonly exact = new DecimalSum();
  private small = 0;
  /** The places of `small`, -1 while nothing is held in it. */
  private smallPlaces = -1;

  /** Adds a decimal string such as "0.001250" (see {@link DecimalSum.add}). */
  add(value: string): void {
    this.exact.add(value);
  }

  /** Adds an integer count of 10^-places units: a bigint, or a number that is a safe integer. */
  addUnits(units: bigint | number, places: number): void {
    if (typeof units === 'bigint') this.exact.addUnits(units, places);
    else this.addSafeUnits(units, places);
  }

  /** Adds an integer count of 10^-places units held as a number (a safe integer). */
  addSafeUnits(units: number, places: number): void {
    if ((places === this.smallPlaces || this.smallPlaces < 0) && units <= LIMIT && units >= -LIMIT) {
      this.smallPlaces = places;
      const sum = this.small + units;
      if (sum > LIMIT || sum < -LIMIT) {
        this.exact.addUnits(BigInt(sum), places);
        this.small = 0;
      } else this.small = sum;
      return;
    }
    this.exact.addUnits(BigInt(units), places);
  }

  /** Adds another report sum. */
  addSum(other: ReportCostSum): void {
    this.exact.addSum(other.settled());
  }

  /** The exact sum as a decimal string (see {@link DecimalSum.toString}). */
  toString(): string {
    return this.settled().toString();
  }

  /** The DecimalSum with the number part moved into it (its places raise the scale even when it is 0). */
  private settled(): DecimalSum {
    if (this.smallPlaces >= 0) {
      this.exact.addUnits(BigInt(this.small), this.smallPlaces);
      this.small = 0;
      this.smallPlaces = -1;
    }
    return this.exact;
  }
}
