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
    // One pass over the characters validates the strict form (an optional "-" in front, digits, at
    // most one "." with digits on both sides; BigInt() and Number() would also take "", whitespace,
    // 0x/0o/0b prefixes and exponents) and reads the digits as an integer, dot left out. Up to 15
    // digits that integer is below 2^53, so each step n × 10 + d is exact integer arithmetic (no
    // fraction is ever formed); converting it to bigint is much faster than slicing the string and
    // calling BigInt(string) or Number(string), which were half the cost of a usage report.
    const len = value.length;
    const start = len > 0 && value.charCodeAt(0) === 45 /* - */ ? 1 : 0;
    let dot = -1;
    let n = 0;
    for (let i = start; i < len; i++) {
      const c = value.charCodeAt(i);
      if (c >= 48 && c <= 57) n = n * 10 + (c - 48);
      else if (c === 46 /* . */ && dot < 0) dot = i;
      else throw notDecimal(value);
    }
    const places = dot < 0 ? 0 : len - dot - 1;
    if (len === start || dot === start || (dot >= 0 && places === 0)) throw notDecimal(value);
    const digitCount = len - start - (dot < 0 ? 0 : 1);
    // Past 15 digits `n` is not exact and is not used: the digits are read by BigInt instead.
    let units = digitCount <= 15 ? BigInt(n) : BigInt(dot < 0 ? value.slice(start) : value.slice(start, dot) + value.slice(dot + 1));
    if (units === 0n) {
      this.lastZero = value;
      if (places <= this.scale) return this;
    }
    if (start === 1) units = -units;
    return this.addUnits(units, places);
  }

  /** Adds an exact integer count of 10^-places units (what a bill's amounts are before they are written). */
  addUnits(units: bigint, places: number): this {
    if (units === 0n && places <= this.scale) return this;
    if (places === this.scale) this.units += units;
    else if (places < this.scale) this.units += units * pow10(this.scale - places);
    else {
      this.units = this.units * pow10(places - this.scale) + units;
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

function notDecimal(value: string): TwinError {
  return new TwinError('invalid_argument', `"${value}" is not a decimal string.`);
}

/** Exact sum of decimal strings. */
export function sumDecimals(values: Iterable<string>): string {
  const sum = new DecimalSum();
  for (const v of values) sum.add(v);
  return sum.toString();
}
