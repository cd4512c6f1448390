import type { RoundingMode } from '../protocol/billing';
import { pow10, type Rational } from './rational';

/**
 * Rounds an exact rational to `places` decimal places and returns the result as an integer count
 * of 10^-places units (e.g. cents for places = 2).
 *
 * Modes (the sign is handled symmetrically, so -2.5 rounds like 2.5 with the sign kept):
 * - `half-up`: ties away from zero (the commercial rule, 2.345 → 2.35);
 * - `half-even`: ties to the even neighbour (banker's rounding, 2.345 → 2.34, 2.355 → 2.36);
 * - `down`: toward zero (truncate);
 * - `up`: away from zero.
 */
export function roundRationalToUnits(value: Rational, places: number, mode: RoundingMode): bigint {
  return roundQuotientToUnits(value.n, value.d, pow10(places), mode);
}

/**
 * {@link roundQuotientToUnits} for an EVEN divisor `d` whose half `half = d / 2` the caller computed
 * once for several roundings (ties compare the remainder with `half` instead of doubling it).
 */
export function roundEvenQuotientToUnits(n: bigint, d: bigint, half: bigint, unitFactor: bigint, mode: RoundingMode): bigint {
  const negative = n < 0n;
  const abs = negative ? -n : n;
  const num = unitFactor === 1n ? abs : abs * unitFactor;
  let q = num / d;
  const r = num - q * d;
  if (r !== 0n) {
    if (mode === 'up') q += 1n;
    else if (mode !== 'down' && (r > half || (r === half && (mode === 'half-up' || (q & 1n) === 1n)))) q += 1n;
  }
  return negative ? -q : q;
}

/** {@link roundRationalToUnits} for `n / d` (d > 0) with the unit factor 10^places given: the hot-path form. */
export function roundQuotientToUnits(n: bigint, d: bigint, unitFactor: bigint, mode: RoundingMode): bigint {
  const negative = n < 0n;
  const abs = negative ? -n : n;
  const num = unitFactor === 1n ? abs : abs * unitFactor;
  let q = num / d;
  const r = num - q * d;
  if (r !== 0n) {
    if (mode === 'up') q += 1n;
    else if (mode !== 'down') {
      const twice = r * 2n;
      if (twice > d || (twice === d && (mode === 'half-up' || (q & 1n) === 1n))) q += 1n;
    }
  }
  return negative ? -q : q;
}

const ZEROS: string[] = [''];
function zeros(k: number): string {
  let z = ZEROS[k];
  if (z === undefined) ZEROS[k] = z = '0'.repeat(k);
  return z;
}

/** Writes an integer count of 10^-places units as a decimal string ("-0.05", "12.300"). */
export function formatUnits(units: bigint, places: number): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString();
  const sign = negative ? '-' : '';
  if (places === 0) return sign + digits;
  const len = digits.length;
  if (len > places) return `${sign}${digits.slice(0, len - places)}.${digits.slice(len - places)}`;
  return `${sign}0.${zeros(places - len)}${digits}`;
}

/** Rounds an exact rational once, to `places` decimal places, and writes it as a decimal string. */
export function roundRational(value: Rational, places: number, mode: RoundingMode = 'half-up'): string {
  return formatUnits(roundRationalToUnits(value, places, mode), places);
}
