import { TwinError } from '../errors/twin-error';
import { formatUnits } from './round-rational';
import { pow10 } from './rational';

/**
 * An exact running sum of decimal strings, kept as a bigint count of 10^-scale units. The scale
 * grows to the most decimal places seen, so nothing is ever rounded; a million "0.000001" sum to
 * exactly "1.000000". Used by usage reports, where every record's lines are added.
 */
export class DecimalSum {
  private units = 0n;
  private scale = 0;
  private lastZero: string | undefined;

  /** Adds a decimal string such as "0.001250" or "-3". */
  add(value: string): this {
    // Zero lines are frequent (no discount, no premium, no penalty) and share one string per scale.
    if (value === this.lastZero) return this;
    const dot = value.indexOf('.');
    let digits: string;
    let places: number;
    if (dot < 0) {
      digits = value;
      places = 0;
    } else {
      places = value.length - dot - 1;
      const before = value.charCodeAt(dot - 1);
      if (dot === 0 || places === 0 || !(before >= 48 && before <= 57)) throw new TwinError('invalid_argument', `"${value}" is not a decimal string.`);
      // Per-stream amounts are mostly below 1: "0.001234" needs one slice, not two and a concatenation.
      digits = dot === 1 && value.charCodeAt(0) === 48 ? value.slice(2) : value.slice(0, dot) + value.slice(dot + 1);
    }
    // BigInt() also takes "", surrounding whitespace and 0x/0o/0b prefixes; a decimal string starts
    // with a digit or "-" followed by a digit, and ends with a digit. O(1) checks, then BigInt parses.
    const len = digits.length;
    const c0 = digits.charCodeAt(0);
    const c1 = len > 1 ? digits.charCodeAt(1) : 48;
    const cl = digits.charCodeAt(len - 1);
    const signOk = c0 !== 45 || value.charCodeAt(0) === 45; // a "-" only in front of the whole value
    if (len === 0 || !((c0 >= 48 && c0 <= 57) || c0 === 45) || !signOk || c1 < 48 || c1 > 57 || cl < 48 || cl > 57) {
      throw new TwinError('invalid_argument', `"${value}" is not a decimal string.`);
    }
    let n: bigint;
    try {
      // Up to 15 digits, the digit string is an integer below 2^53: reading it as a number is exact
      // (no fraction, no arithmetic) and converting that to bigint is much faster than BigInt(string).
      // Exponents ("12e3") are refused first, since Number() would accept them.
      if (len <= 15 && digits.indexOf('e') < 0 && digits.indexOf('E') < 0) n = BigInt(+digits);
      else n = BigInt(digits);
    } catch (cause) {
      throw new TwinError('invalid_argument', `"${value}" is not a decimal string.`, { cause });
    }
    if (n === 0n) this.lastZero = value;
    if (places === this.scale) this.units += n;
    else if (places < this.scale) this.units += n * pow10(this.scale - places);
    else {
      this.units = this.units * pow10(places - this.scale) + n;
      this.scale = places;
    }
    return this;
  }

  /** Adds another sum. */
  addSum(other: DecimalSum): this {
    if (other.scale > this.scale) {
      this.units = this.units * pow10(other.scale - this.scale) + other.units;
      this.scale = other.scale;
    } else this.units += other.units * pow10(this.scale - other.scale);
    return this;
  }

  /** The exact sum as a rational `units / 10^scale`. */
  toRational(): { n: bigint; d: bigint } {
    return { n: this.units, d: pow10(this.scale) };
  }

  /** The exact sum as a decimal string with at least `minPlaces` decimals (no rounding ever). */
  toString(minPlaces = 0): string {
    if (minPlaces > this.scale) return formatUnits(this.units * pow10(minPlaces - this.scale), minPlaces);
    return formatUnits(this.units, this.scale);
  }
}

/** Exact sum of decimal strings. */
export function sumDecimals(values: Iterable<string>): string {
  const sum = new DecimalSum();
  for (const v of values) sum.add(v);
  return sum.toString();
}
