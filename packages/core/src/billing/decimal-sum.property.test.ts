import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecimalSum } from './decimal-sum';
import { equals, rational } from './rational';

const STRICT = /^-?\d+(?:\.\d+)?$/;

/** The exact value of a strict decimal string, computed the slow, obvious way. */
function exact(s: string) {
  const negative = s.startsWith('-');
  const [int, frac = ''] = (negative ? s.slice(1) : s).split('.');
  const n = BigInt(int! + frac);
  return rational(negative ? -n : n, 10n ** BigInt(frac.length));
}

describe('DecimalSum — properties', () => {
  it('accepts exactly the plain decimal strings and reads each one exactly', () => {
    const alphabet = fc.constantFrom(...'0123456789.-eExb +'.split(''));
    const noisy = fc.array(alphabet, { maxLength: 22 }).map((cs) => cs.join(''));
    const valid = fc.tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 25n }), fc.nat(12)).map(([neg, n, places]) => {
      const digits = n.toString().padStart(places + 1, '0');
      const s = places === 0 ? digits : `${digits.slice(0, -places)}.${digits.slice(-places)}`;
      return neg ? `-${s}` : s;
    });
    fc.assert(
      fc.property(fc.oneof(noisy, valid), (s) => {
        if (STRICT.test(s)) expect(equals(new DecimalSum().add(s).toRational(), exact(s))).toBe(true);
        else expect(() => new DecimalSum().add(s)).toThrow(/not a decimal string/);
      }),
      { numRuns: 2000 },
    );
  });

  it('sums in any order to the same exact value', () => {
    const amount = fc.tuple(fc.bigInt({ min: -(10n ** 18n), max: 10n ** 18n }), fc.nat(9)).map(([n, p]) => {
      const digits = (n < 0n ? -n : n).toString().padStart(p + 1, '0');
      const s = p === 0 ? digits : `${digits.slice(0, -p)}.${digits.slice(-p)}`;
      return n < 0n ? `-${s}` : s;
    });
    fc.assert(
      fc.property(fc.array(amount, { maxLength: 30 }), (values) => {
        const forward = new DecimalSum();
        for (const v of values) forward.add(v);
        const backward = new DecimalSum();
        for (const v of [...values].reverse()) backward.add(v);
        let expected = rational(0n);
        for (const v of values) {
          const e = exact(v);
          expected = { n: expected.n * e.d + e.n * expected.d, d: expected.d * e.d };
        }
        expect(equals(forward.toRational(), expected)).toBe(true);
        expect(backward.toString()).toBe(forward.toString());
      }),
    );
  });

  it('reads 14 to 17 digit amounts exactly on both sides of the 15-digit fast path (2^53 ≈ 9.007e15)', () => {
    const digits = fc.integer({ min: 14, max: 17 }).chain((len) =>
      fc.tuple(fc.constant(len), fc.bigInt({ min: 10n ** BigInt(len - 1), max: 10n ** BigInt(len) - 1n }), fc.nat(len - 1), fc.boolean()),
    );
    fc.assert(
      fc.property(digits, ([, n, places, neg]) => {
        const d = n.toString();
        const s = `${neg ? '-' : ''}${places === 0 ? d : `${d.slice(0, -places)}.${d.slice(-places)}`}`;
        expect(equals(new DecimalSum().add(s).toRational(), exact(s))).toBe(true);
        // The same amount added twice: the running sum is exact past 2^53 too.
        const twice = new DecimalSum().add(s).add(s).toRational();
        expect(equals(twice, { n: exact(s).n * 2n, d: exact(s).d })).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('keeps the most decimal places seen, also when they come from a zero', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(1000), fc.nat(8)), { maxLength: 12 }), (values) => {
        const strings = values.map(([n, p]) => (p === 0 ? String(n) : `${String(n).padStart(p + 1, '0').slice(0, -p)}.${String(n).padStart(p + 1, '0').slice(-p)}`));
        const sum = new DecimalSum();
        for (const s of strings) sum.add(s);
        const places = Math.max(0, ...values.map(([, p]) => p));
        const total = strings.reduce((acc, s) => acc + exact(s).n * 10n ** BigInt(places) / exact(s).d, 0n);
        expect(sum.toRational()).toEqual({ n: total, d: 10n ** BigInt(places) });
      }),
    );
  });
});
