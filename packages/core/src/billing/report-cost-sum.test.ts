import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecimalSum } from './decimal-sum';
import { ReportCostSum } from './report-cost-sum';

type Op = { kind: 'number'; units: number; places: number } | { kind: 'bigint'; units: bigint; places: number } | { kind: 'string'; value: string };

/** Near ±2^52 (where the number part is moved into the DecimalSum) and anywhere up to ±2^53. */
const safeUnits = fc.oneof(
  fc.integer({ min: -50_000, max: 50_000 }),
  fc.integer({ min: 2 ** 52 - 3, max: 2 ** 52 + 3 }),
  fc.integer({ min: -(2 ** 52) - 3, max: -(2 ** 52) + 3 }),
  fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
);
const places = fc.constantFrom(0, 2, 6, 6, 6, 9);
const op: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('number' as const), units: safeUnits, places }), weight: 6 },
  { arbitrary: fc.record({ kind: fc.constant('bigint' as const), units: fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), places }), weight: 1 },
  { arbitrary: fc.constantFrom('0', '0.000000', '1.5', '-0.25', '12.345678', '0.00').map((value) => ({ kind: 'string' as const, value })), weight: 1 },
);

function apply(ops: Op[], sum: ReportCostSum, reference: DecimalSum): void {
  for (const o of ops) {
    if (o.kind === 'string') {
      sum.add(o.value);
      reference.add(o.value);
    } else {
      sum.addUnits(o.units, o.places);
      reference.addUnits(BigInt(o.units), o.places);
    }
  }
}

describe('ReportCostSum', () => {
  it('sums number counts, bigint counts and strings to exactly what a DecimalSum of them gives (value and places)', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.array(op, { maxLength: 20 }), (ops, more) => {
        const sum = new ReportCostSum();
        const reference = new DecimalSum();
        apply(ops, sum, reference);
        // Merged with another report sum, as a report merges its groups into its totals.
        const other = new ReportCostSum();
        const otherReference = new DecimalSum();
        apply(more, other, otherReference);
        sum.addSum(other);
        reference.addSum(otherReference);
        expect(sum.toString()).toBe(reference.toString());
        // Read again after more additions: the number part starts over.
        apply(more, sum, reference);
        expect(sum.toString()).toBe(reference.toString());
      }),
      { numRuns: 3000 },
    );
  });

  it('keeps the places of zero counts, as a DecimalSum does', () => {
    const sum = new ReportCostSum();
    sum.addUnits(0, 6);
    expect(sum.toString()).toBe('0.000000');
    expect(new ReportCostSum().toString()).toBe('0');
  });

  it('stays exact past 2^53 in total', () => {
    const sum = new ReportCostSum();
    for (let i = 0; i < 10; i++) sum.addUnits(Number.MAX_SAFE_INTEGER, 6);
    expect(sum.toString()).toBe(new DecimalSum().addUnits(BigInt(Number.MAX_SAFE_INTEGER) * 10n, 6).toString());
  });
});
