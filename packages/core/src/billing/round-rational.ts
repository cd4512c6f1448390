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
 * Rounds `n / d` for an EVEN divisor `d` whose half `half = d / 2` the caller computed once for
 * several roundings (ties compare the remainder with `half` instead of doubling it): the bill's hot path.
 */
export function roundEvenQuotientToUnits(n: bigint, d: bigint, half: bigint, unitFactor: bigint, mode: RoundingMode): bigint {
  const negative = n < 0n;
  const abs = negative ? -n : n;
  const num = unitFactor === 1n ? abs : abs * unitFactor;
  let q: bigint;
  // With num = q·d + r (0 ≤ r < d = 2·half): half-up adds 1 exactly when r ≥ half, i.e. it is
  // ⌊(num + half) / d⌋; up adds 1 when r > 0, ⌊(num + d − 1) / d⌋. One division, no remainder to
  // form and compare (a bill rounds four to nine running sums).
  if (mode === 'half-up') q = (num + half) / d;
  else if (mode === 'down') q = num / d;
  else if (mode === 'up') q = (num + d - 1n) / d;
  else {
    q = num / d;
    const r = num - q * d;
    if (r > half || (r === half && (q & 1n) === 1n)) q += 1n;
  }
  return negative ? -q : q;
}

/**
 * {@link roundRationalToUnits} for `n / d` (d > 0) with the unit factor 10^places given: `n / d` is
 * `2n / 2d`, an even divisor whose half is `d`, so the one rounding rule above serves both forms.
 */
export function roundQuotientToUnits(n: bigint, d: bigint, unitFactor: bigint, mode: RoundingMode): bigint {
  return roundEvenQuotientToUnits(n * 2n, d * 2n, d, unitFactor, mode);
}

// "0.", "0.0", "0.00", …: the prefix of a value below 1 with k leading zeros after the point, so
// writing one is a single concatenation (string additions were a tenth of the cost of pricing).
const FRACTION_PREFIX: string[] = [];
function fractionPrefix(k: number): string {
  let z = FRACTION_PREFIX[k];
  if (z === undefined) FRACTION_PREFIX[k] = z = `0.${'0'.repeat(k)}`;
  return z;
}

/** Writes an integer count of 10^-places units the general way: one `BigInt#toString` and a split. */
function formatDigits(units: bigint, places: number): string {
  if (units <= MAX_SAFE && places >= 1 && places <= 9) return formatSafe(Number(units), places);
  const digits = units.toString();
  if (places === 0) return digits;
  const len = digits.length;
  if (len > places) return `${digits.slice(0, len - places)}.${digits.slice(len - places)}`;
  return fractionPrefix(places - len) + digits;
}

/*
 * A count below 2^53 is an exact integer as a number, and its integer part and fraction are exact
 * too (⌊n / 10^p⌋ of a double cannot round up to the next integer there). The fraction is written
 * from tables of zero-padded digit groups instead of `BigInt#toString` and two slices: fewer
 * string allocations per line.
 */
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const POW10_NUMBERS = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000];
/** PADDED[w][i]: i written with exactly w digits (w = 1, 2, 3). */
const PADDED: string[][] = [[], ...[1, 2, 3].map((w) => Array.from({ length: 10 ** w }, (_, i) => String(i).padStart(w, '0')))];
const THREE = PADDED[3]!;
/** "0." to "999.": integer parts with their point. */
const WHOLE: string[] = Array.from({ length: 1000 }, (_, i) => `${i}.`);

/*
 * A count n = a·1000 + b at 4 to 9 places with a < 10,000 (below 10 at 6 places: a stream's token
 * cost and subtotal) is written as the kept string of `a` at places − 3 and the three digits of `b`:
 * one concatenation instead of two. The heads ("0.000" to "9.999" at 6 places) are kept as they occur.
 */
const HEADS_BELOW = 10_000;
const HEADS: string[][] = [];

function formatSafe(n: number, places: number): string {
  if (places >= 4 && n < HEADS_BELOW * 1000) {
    const a = Math.floor(n / 1000);
    const table = (HEADS[places] ??= new Array<string>(HEADS_BELOW));
    return (table[a] ??= formatSafeSplit(a, places - 3)) + THREE[n - a * 1000]!;
  }
  return formatSafeSplit(n, places);
}

function formatSafeSplit(n: number, places: number): string {
  const p = POW10_NUMBERS[places]!;
  const whole = Math.floor(n / p);
  const f = n - whole * p;
  const head = whole < 1000 ? WHOLE[whole]! : `${whole}.`;
  if (places <= 3) return head + PADDED[places]![f]!;
  const hi = Math.floor(f / 1000);
  const lo = THREE[f - hi * 1000]!;
  if (places <= 6) return head + PADDED[places - 3]![hi]! + lo;
  const top = Math.floor(hi / 1000);
  return head + PADDED[places - 6]![top]! + THREE[hi - top * 1000]! + lo;
}

/*
 * Small amounts, written once. A bill's lines are mostly a few cents or less (the streaming and
 * infrastructure lines of a stream, the discounts, every line of a bill in cents), and the same
 * amounts recur from bill to bill; `BigInt#toString` was most of the cost of writing a line. So the
 * strings of counts below 2^15 (0.032767 at 6 places, 327.67 at 2) are kept, one table per number
 * of places up to 9: at most 32,768 short strings per table, filled as amounts occur.
 */
const CACHED_BELOW = 32_768n;
const CACHED_PLACES = 9;
const SMALL: string[][] = [];

/** Writes an integer count of 10^-places units as a decimal string ("-0.05", "12.300"). */
export function formatUnits(units: bigint, places: number): string {
  if (units < 0n) return `-${formatUnits(-units, places)}`;
  if (units < CACHED_BELOW && places <= CACHED_PLACES) {
    // Allocated at full length: an array filled at scattered indexes would turn into a dictionary.
    const table = (SMALL[places] ??= new Array<string>(Number(CACHED_BELOW)));
    const i = Number(units);
    return (table[i] ??= formatDigits(units, places));
  }
  return formatDigits(units, places);
}

/**
 * {@link formatUnits} for a count held as a number: a non-negative safe integer (what a bill priced
 * on numbers has), written without making a bigint; the same string as `formatUnits(BigInt(units), places)`.
 */
export function formatSafeUnits(units: number, places: number): string {
  if (places <= CACHED_PLACES && units < SMALL_LIMIT) {
    const table = (SMALL[places] ??= new Array<string>(SMALL_LIMIT));
    return (table[units] ??= formatDigits(BigInt(units), places));
  }
  if (places >= 1 && places <= 9) return formatSafe(units, places);
  return formatDigits(BigInt(units), places);
}
const SMALL_LIMIT = Number(CACHED_BELOW);

/**
 * The kept strings of counts below {@link SMALL_UNITS} at `places` (undefined past 9 places), for a
 * caller that writes many lines at the same places: `table[units] ?? formatSafeUnits(units, places)`
 * is formatSafeUnits without a call when the string is kept.
 */
export function smallUnitStrings(places: number): readonly (string | undefined)[] | undefined {
  return places <= CACHED_PLACES ? (SMALL[places] ??= new Array<string>(SMALL_LIMIT)) : undefined;
}
export const SMALL_UNITS = SMALL_LIMIT;

/** Rounds an exact rational once, to `places` decimal places, and writes it as a decimal string. */
export function roundRational(value: Rational, places: number, mode: RoundingMode = 'half-up'): string {
  return formatUnits(roundRationalToUnits(value, places, mode), places);
}

/** A fraction `num / den` (den > 0) as a percent string for display: 6 places, trailing zeros trimmed. */
export function formatPercent(num: bigint, den: bigint): string {
  if (num === 0n) return '0';
  const units = roundQuotientToUnits(num * 100n, den, 1_000_000n, 'half-even');
  const negative = units < 0n;
  const abs = negative ? -units : units;
  const whole = abs / 1_000_000n;
  const frac = abs % 1_000_000n;
  const sign = negative ? '-' : '';
  if (frac === 0n) return `${sign}${whole}`;
  return `${sign}${whole}.${frac.toString().padStart(6, '0').replace(/0+$/, '')}`;
}
