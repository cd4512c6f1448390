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
});
