import { TwinError } from '../errors/twin-error';

/**
 * An exact rational number `n / d` with bigint numerator and a positive bigint denominator.
 *
 * Why rationals and not a decimal library: a bill divides (hours = ms / 3,600,000; the graduated
 * discount's token-weighted mean rate divides by this usage's token count). Decimal libraries round
 * 1/3 at their precision, so intermediates would not be exact. With bigint rationals every
 * intermediate is exact and the one rounding happens at the end ({@link roundRational}).
 *
 * Values are never reduced by a gcd on the hot path: rounding only needs `n / d` and `n % d`, and
 * equal denominators (the common case, because a compiled price table shares one denominator) add
 * without multiplying. Treat values as immutable.
 */
export interface Rational {
  readonly n: bigint;
  readonly d: bigint;
}

export const ZERO: Rational = { n: 0n, d: 1n };
export const ONE: Rational = { n: 1n, d: 1n };

/** `n / d` (d must be non-zero; the sign is moved to the numerator). */
export function rational(n: bigint, d: bigint = 1n): Rational {
  if (d === 0n) throw new TwinError('invalid_argument', 'Rational denominator must not be zero.');
  return d < 0n ? { n: -n, d: -d } : { n, d };
}

export function add(a: Rational, b: Rational): Rational {
  if (a.d === b.d) return { n: a.n + b.n, d: a.d };
  return { n: a.n * b.d + b.n * a.d, d: a.d * b.d };
}

export function sub(a: Rational, b: Rational): Rational {
  if (a.d === b.d) return { n: a.n - b.n, d: a.d };
  return { n: a.n * b.d - b.n * a.d, d: a.d * b.d };
}

export function mul(a: Rational, b: Rational): Rational {
  return { n: a.n * b.n, d: a.d * b.d };
}

/** `a` times an integer. */
export function mulInt(a: Rational, k: bigint): Rational {
  return { n: a.n * k, d: a.d };
}

/** `a` divided by a non-zero integer. */
export function divInt(a: Rational, k: bigint): Rational {
  if (k === 0n) throw new TwinError('invalid_argument', 'Division by zero.');
  return k < 0n ? { n: -a.n, d: a.d * -k } : { n: a.n, d: a.d * k };
}

export function div(a: Rational, b: Rational): Rational {
  if (b.n === 0n) throw new TwinError('invalid_argument', 'Division by zero.');
  return rational(a.n * b.d, a.d * b.n);
}

/** -1, 0 or 1. */
export function compare(a: Rational, b: Rational): number {
  const l = a.d === b.d ? a.n : a.n * b.d;
  const r = a.d === b.d ? b.n : b.n * a.d;
  return l < r ? -1 : l > r ? 1 : 0;
}

export function isZero(a: Rational): boolean {
  return a.n === 0n;
}

export function min(a: Rational, b: Rational): Rational {
  return compare(a, b) <= 0 ? a : b;
}

export function max(a: Rational, b: Rational): Rational {
  return compare(a, b) >= 0 ? a : b;
}

function gcd(a: bigint, b: bigint): bigint {
  if (a < 0n) a = -a;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** The same value in lowest terms (for display and equality checks; arithmetic does not need it). */
export function reduce(a: Rational): Rational {
  const g = gcd(a.n, a.d);
  return g <= 1n ? a : { n: a.n / g, d: a.d / g };
}

export function equals(a: Rational, b: Rational): boolean {
  return a.n * b.d === b.n * a.d;
}

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;
const POW10: bigint[] = [];
/** 10^k as bigint, cached. */
export function pow10(k: number): bigint {
  let p = POW10[k];
  if (p === undefined) {
    p = 10n ** BigInt(k);
    POW10[k] = p;
  }
  return p;
}

/**
 * Parses an exact decimal string ("0.0015", "-3", "12.50") into a rational. A `number` is accepted
 * only when it is a safe integer (a count of tokens, bytes or milliseconds), never as a fraction,
 * because a binary float such as 0.1 is not the decimal it looks like.
 */
export function parseDecimal(value: string | number | bigint): Rational {
  if (typeof value === 'bigint') return { n: value, d: 1n };
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw new TwinError('invalid_argument', `Expected a safe integer or a decimal string, got the number ${String(value)}; pass amounts as decimal strings.`);
    }
    return { n: BigInt(value), d: 1n };
  }
  const m = DECIMAL.exec(value);
  if (!m) throw new TwinError('invalid_argument', `"${value}" is not a decimal string such as "0.0015".`);
  const frac = m[3] ?? '';
  const n = BigInt(m[2]! + frac);
  return { n: m[1] === '-' ? -n : n, d: pow10(frac.length) };
}

/**
 * Parses a measured figure (uptime %, MB/s, ms) that may arrive as a JS number. The number's
 * shortest round-trip decimal form is taken as meant ("99.5" for 99.5), which is what a person
 * reading the metric sees; amounts of money never go through here.
 */
export function parseMeasurement(value: string | number): Rational {
  if (typeof value === 'string') return parseDecimal(value);
  if (!Number.isFinite(value)) throw new TwinError('invalid_argument', `Measurement must be finite, got ${String(value)}.`);
  const text = String(value);
  if (/e/i.test(text)) {
    // 1e-7 and the like: expand through toFixed with enough digits to be exact for the shortest form.
    const [mant, exp] = text.toLowerCase().split('e') as [string, string];
    const r = parseDecimal(mant);
    const e = Number(exp);
    return e >= 0 ? mulInt(r, pow10(e)) : divInt(r, pow10(-e));
  }
  return parseDecimal(text);
}

/** A plain-language fraction such as "1/3", for tests and error messages. */
export function formatFraction(a: Rational): string {
  const r = reduce(a);
  return r.d === 1n ? r.n.toString() : `${r.n}/${r.d}`;
}
