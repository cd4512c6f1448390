import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { add, compare, div, divInt, equals, formatFraction, parseDecimal, parseMeasurement, rational } from './rational';
import { formatSafeUnits, formatUnits, roundEvenQuotientToUnits, roundQuotientToUnits, roundRational } from './round-rational';
import { DecimalSum, sumDecimals } from './decimal-sum';

/** `units` at `places` written the plain way: the digits split into integer and fraction, the sign in front. */
function plainSplit(units: bigint, places: number): string {
  const abs = (units < 0n ? -units : units).toString().padStart(places + 1, '0');
  const plain = places === 0 ? abs : `${abs.slice(0, -places)}.${abs.slice(-places)}`;
  return units < 0n ? `-${plain}` : plain;
}

describe('rational arithmetic', () => {
  it('keeps 1/3 exact where a decimal would round', () => {
    const third = div(parseDecimal('1'), parseDecimal('3'));
    expect(equals(add(add(third, third), third), rational(1n))).toBe(true);
    expect(formatFraction(divInt(parseDecimal('0.01'), 3600n))).toBe('1/360000');
  });

  it('parses decimal strings and refuses floats and exponents', () => {
    expect(formatFraction(parseDecimal('0.0015'))).toBe('3/2000');
    expect(formatFraction(parseDecimal('-12.50'))).toBe('-25/2');
    expect(() => parseDecimal('1e-3')).toThrow(/not a decimal string/);
    expect(() => parseDecimal(0.1)).toThrow(/safe integer/);
    expect(formatFraction(parseDecimal(42))).toBe('42');
  });

  it('reads measured numbers by their shortest decimal form', () => {
    expect(compare(parseMeasurement(99.5), parseDecimal('99.5'))).toBe(0);
    expect(compare(parseMeasurement(1e-7), parseDecimal('0.0000001'))).toBe(0);
  });
});

describe('roundRational', () => {
  it.each([
    ['2.345', 'half-up', '2.35'],
    ['2.345', 'half-even', '2.34'],
    ['2.355', 'half-even', '2.36'],
    ['-2.345', 'half-up', '-2.35'],
    ['-2.345', 'half-even', '-2.34'],
    ['2.349', 'down', '2.34'],
    ['2.341', 'up', '2.35'],
    ['-2.341', 'up', '-2.35'],
    ['0.004', 'half-up', '0.00'],
  ] as const)('%s %s → %s', (value, mode, expected) => {
    expect(roundRational(parseDecimal(value), 2, mode)).toBe(expected);
  });

  it('rounds a non-terminating value exactly (1/8 at 2 places is a true tie, 1/3 is not)', () => {
    expect(roundRational(rational(1n, 8n), 2, 'half-even')).toBe('0.12');
    expect(roundRational(rational(1n, 8n), 2, 'half-up')).toBe('0.13');
    expect(roundRational(rational(2n, 3n), 4, 'half-up')).toBe('0.6667');
  });

  // A numerator, an even divisor, a unit and a mode: what both property tests below draw.
  const quotientArbitraries = [
    fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }),
    fc.bigInt({ min: 1n, max: 10n ** 20n }).map((d) => d * 2n),
    fc.constantFrom(1n, 10n, 1000n),
    fc.constantFrom('half-up' as const, 'half-even' as const, 'down' as const, 'up' as const),
  ] as const;

  it('rounds the same with a precomputed half of an even divisor as without it', () => {
    fc.assert(
      fc.property(
        ...quotientArbitraries,
        (n, d, unit, mode) => {
          expect(roundEvenQuotientToUnits(n, d, d >> 1n, unit, mode)).toBe(roundQuotientToUnits(n, d, unit, mode));
          // Exact ties are where the two forms could part: n/d = k + 1/2.
          const tie = d * 7n + (d >> 1n);
          expect(roundEvenQuotientToUnits(tie, d, d >> 1n, 1n, mode)).toBe(roundQuotientToUnits(tie, d, 1n, mode));
        },
      ),
    );
  });

  it('rounds like the remainder rule written out, in every mode (the one-division forms included)', () => {
    // The rule itself, independently: q = ⌊|n|·unit / d⌋, r the remainder, then the mode decides.
    const reference = (n: bigint, d: bigint, unit: bigint, mode: 'half-up' | 'half-even' | 'down' | 'up'): bigint => {
      const abs = (n < 0n ? -n : n) * unit;
      let q = abs / d;
      const r2 = (abs - q * d) * 2n;
      if (r2 > 0n && (mode === 'up' || (mode !== 'down' && (r2 > d || (r2 === d && (mode === 'half-up' || q % 2n === 1n)))))) q += 1n;
      return n < 0n ? -q : q;
    };
    fc.assert(
      fc.property(
        ...quotientArbitraries,
        fc.integer({ min: -2, max: 2 }),
        (n, d, unit, mode, k) => {
          expect(roundEvenQuotientToUnits(n, d, d >> 1n, unit, mode)).toBe(reference(n, d, unit, mode));
          // Around the tie and the exact multiples, where the one-division forms could be off by one.
          for (const x of [d * 7n + (d >> 1n) + BigInt(k), d * 9n + BigInt(k), -(d * 3n + (d >> 1n)) + BigInt(k)]) {
            expect(roundEvenQuotientToUnits(x, d, d >> 1n, 1n, mode)).toBe(reference(x, d, 1n, mode));
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('writes any amount below 2^53 units (the number path) like the plain split', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 53n), max: 2n ** 53n }), fc.nat(12), (units, places) => {
        expect(formatUnits(units, places)).toBe(plainSplit(units, places));
      }),
      { numRuns: 5000 },
    );
    for (const places of [1, 3, 4, 6, 7, 9]) {
      for (const units of [2n ** 53n - 1n, 2n ** 53n, 10n ** 15n - 1n, 10n ** 15n, 999_999_999n, 1_000_000_000n, 999_999n]) {
        expect(formatUnits(units, places)).toBe(plainSplit(units, places));
      }
    }
  });

  it('writes every small amount (the kept strings) like the plain split, at any places, each time', () => {
    for (const places of [0, 1, 2, 3, 6, 9, 10, 12]) {
      const wrong: bigint[] = [];
      for (let i = -40_000n; i < 40_000n; i += 1n) if (formatUnits(i, places) !== plainSplit(i, places)) wrong.push(i);
      expect(wrong).toEqual([]);
      // Written again from the kept strings: the same.
      for (const i of [0n, 1n, 32_767n, 32_768n, 123_456n, -5n]) expect(formatUnits(i, places)).toBe(plainSplit(i, places));
    }
  });

  it('writes a safe-integer count held as a number (bills priced on numbers) like formatUnits of the same bigint', () => {
    // Below 10^7 units (at 4 to 9 places, from kept heads), and anywhere below 2^53.
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_100 }), fc.integer({ min: 1, max: 12 }), (units, places) => {
        expect(formatSafeUnits(units, places)).toBe(plainSplit(BigInt(units), places));
        expect(formatUnits(BigInt(units), places)).toBe(plainSplit(BigInt(units), places));
      }),
      { numRuns: 20_000 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.nat(12), (units, places) => {
        expect(formatSafeUnits(units, places)).toBe(formatUnits(BigInt(units), places));
        expect(formatSafeUnits(units, places)).toBe(plainSplit(BigInt(units), places));
      }),
      { numRuns: 5000 },
    );
    for (const places of [0, 1, 2, 3, 6, 9, 10, 12]) {
      const wrong: number[] = [];
      for (let i = 0; i < 40_000; i++) if (formatSafeUnits(i, places) !== plainSplit(BigInt(i), places)) wrong.push(i);
      expect(wrong).toEqual([]);
      for (const units of [Number.MAX_SAFE_INTEGER, 2 ** 52, 10 ** 15 - 1, 10 ** 15, 999_999_999, 1_000_000_000, 32_767, 32_768, 9_999_999, 10_000_000, 10_000_001]) {
        expect(formatSafeUnits(units, places)).toBe(plainSplit(BigInt(units), places));
      }
    }
  });

  it('formats units with leading zeros and no decimals when places is 0', () => {
    expect(formatUnits(5n, 3)).toBe('0.005');
    expect(formatUnits(-5n, 2)).toBe('-0.05');
    expect(formatUnits(1234n, 0)).toBe('1234');
  });

  it('formats any units at any places like the plain integer-and-fraction split', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), fc.nat(12), (units, places) => {
        expect(formatUnits(units, places)).toBe(plainSplit(units, places));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('DecimalSum', () => {
  it('sums a million tiny amounts without drift', () => {
    const sum = new DecimalSum();
    let float = 0;
    for (let i = 0; i < 1_000_000; i++) {
      sum.add('0.000001');
      float += 0.000001;
    }
    expect(sum.toString()).toBe('1.000000');
    // The float loop the design rules out does drift; this is why amounts are never floats.
    expect(float).not.toBe(1);
  });

  it('widens its scale to the most decimals seen and never rounds', () => {
    expect(sumDecimals(['1.5', '0.25', '-0.125', '3'])).toBe('4.625');
    expect(new DecimalSum().add('1').toString(2)).toBe('1.00');
    // Zero lines keep the scale they were written with.
    expect(sumDecimals(['0.000000', '0.000000'])).toBe('0.000000');
    expect(sumDecimals(['0.00', '0.10', '0.00', '2'])).toBe('2.10');
    expect(sumDecimals(['0.000123', '-0.5', '10.25', '-0.000023'])).toBe('9.750100');
    for (const bad of ['1e3', '12e3', '1.2e3', '0x10', ' 1', '1 ', '', '+1', '1.2.3', '-', 'NaN', '1.', '.5', '-.5', '0.-5']) {
      expect(() => new DecimalSum().add(bad), bad).toThrow(/not a decimal string/);
    }
    // Long values (beyond 15 digits) take the exact BigInt path.
    expect(sumDecimals(['12345678901234567.891', '0.109'])).toBe('12345678901234568.000');
  });
});
