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
    // A decimal string is an optional "-" (in front of the whole value) and digits. Checking that
    // here matters: BigInt() and Number() also take "", whitespace, 0x/0o/0b prefixes and exponents.
    const len = digits.length;
    let i = digits.charCodeAt(0) === 45 && value.charCodeAt(0) === 45 ? 1 : 0;
    if (i === len) throw new TwinError('invalid_argument', `"${value}" is not a decimal string.`);
    for (; i < len; i++) {
      const c = digits.charCodeAt(i);
      if (c < 48 || c > 57) throw new TwinError('invalid_argument', `"${value}" is not a decimal string.`);
    }
    // Up to 15 digits, the digit string is an integer below 2^53: reading it as a number is exact (no
    // fraction, no arithmetic), and converting that to bigint is much faster than BigInt(string).
    const n = len <= 15 ? BigInt(+digits) : BigInt(digits);
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
