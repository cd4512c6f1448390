import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BillLines } from '../protocol/billing';
import { DecimalSum } from './decimal-sum';
import { COST_LINES, ReportCostSums, type LineUnits } from './report-cost-sum';

/** A bill's nine line counts as numbers (a bill priced on numbers) or bigints, or its lines as strings (a stored copy). */
type Op =
  | { kind: 'number'; units: number[]; places: number; taxes: boolean }
  | { kind: 'bigint'; units: bigint[]; places: number; taxes: boolean }
  | { kind: 'strings'; lines: string[]; taxes: string[] };

/** Near ±2^52 (where a line's number part is moved into its DecimalSum) and anywhere up to ±2^53. */
const safeUnits = fc.oneof(
  fc.integer({ min: 0, max: 50_000 }),
  fc.integer({ min: -50_000, max: 50_000 }),
  fc.integer({ min: 2 ** 52 - 3, max: 2 ** 52 + 3 }),
  fc.integer({ min: -(2 ** 52) - 3, max: -(2 ** 52) + 3 }),
  fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
);
const places = fc.constantFrom(0, 2, 6, 6, 6, 9);
const amount = fc.constantFrom('0', '0.000000', '1.5', '-0.25', '12.345678', '0.00', '7');
// A bill without tax lines has a taxes count of 0 (index 7), as calculateBill writes it.
const withoutTaxes = <T extends { units: unknown[]; taxes: boolean }>(o: T, zero: unknown): T => (o.taxes ? o : { ...o, units: o.units.map((u, i) => (i === 7 ? zero : u)) });
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({ kind: fc.constant('number' as const), units: fc.array(safeUnits, { minLength: 9, maxLength: 9 }), places, taxes: fc.boolean() }).map((o) => withoutTaxes(o, 0)),
    weight: 6,
  },
  {
    arbitrary: fc
      .record({ kind: fc.constant('bigint' as const), units: fc.array(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), { minLength: 9, maxLength: 9 }), places, taxes: fc.boolean() })
      .map((o) => withoutTaxes(o, 0n)),
    weight: 1,
  },
  { arbitrary: fc.record({ kind: fc.constant('strings' as const), lines: fc.array(amount, { minLength: 9, maxLength: 9 }), taxes: fc.array(amount, { maxLength: 2 }) }), weight: 1 },
);

/** The sum of the counts' magnitudes, as a priced bill carries it (a double: past 2^53 it stays past). */
const magnitudes = (units: number[]) => units.reduce((sum, u) => sum + Math.abs(u), 0);
const lineUnits = <U extends bigint | number>(u: U[]): LineUnits<U> => ({ u0: u[0]!, u1: u[1]!, u2: u[2]!, u3: u[3]!, u4: u[4]!, u5: u[5]!, u6: u[6]!, u7: u[7]!, u8: u[8]! });

/** What the bill adds: a bill without tax lines adds nothing to `taxes` (index 7), whichever way it is held. */
function apply(ops: Op[], sums: ReportCostSums, reference: DecimalSum[]): void {
  for (const o of ops) {
    if (o.kind === 'strings') {
      const [tokenCost, discount, streaming, bandwidthPremium, infrastructure, subtotal, slaPenalty, , total] = o.lines as [string, string, string, string, string, string, string, string, string];
      const lines = { tokenCost, discount, streaming, bandwidthPremium, infrastructure, subtotal, slaPenalty, total, taxes: o.taxes.map((a) => ({ jurisdiction: '*', name: 't', ratePercent: '1', amount: a })) };
      sums.addLines(lines as unknown as BillLines);
      o.lines.forEach((v, i) => {
        if (i === 7) for (const t of o.taxes) reference[7]!.add(t);
        else reference[i]!.add(v);
      });
    } else {
      if (o.kind === 'number') sums.addSafeUnits(lineUnits(o.units), o.places, o.taxes, magnitudes(o.units));
      else sums.addUnits(lineUnits(o.units), o.places, o.taxes);
      o.units.forEach((u, i) => {
        if (i !== 7 || o.taxes) reference[i]!.addUnits(BigInt(u), o.places);
      });
    }
  }
}

const references = () => Array.from({ length: COST_LINES }, () => new DecimalSum());
const lines = (sums: ReportCostSums) => Array.from({ length: COST_LINES }, (_, i) => sums.line(i));

describe('ReportCostSums', () => {
  it('sums number counts, bigint counts and strings to exactly what a DecimalSum per line gives (value and places)', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), fc.array(op, { maxLength: 15 }), (ops, more) => {
        const sums = new ReportCostSums();
        const reference = references();
        apply(ops, sums, reference);
        // Merged with another group's sums, as a report merges its groups into its totals.
        const other = new ReportCostSums();
        const otherReference = references();
        apply(more, other, otherReference);
        sums.addSums(other);
        reference.forEach((r, i) => r.addSum(otherReference[i]!));
        expect(lines(sums)).toEqual(reference.map((r) => r.toString()));
        // Read again after more additions: the number part starts over.
        apply(more, sums, reference);
        expect(lines(sums)).toEqual(reference.map((r) => r.toString()));
      }),
      { numRuns: 3000 },
    );
  });

  it('keeps the places of zero counts, and gives taxes places only from a bill with tax lines', () => {
    const sums = new ReportCostSums();
    sums.addSafeUnits(lineUnits([0, 0, 0, 0, 0, 0, 0, 0, 0]), 6, false, 0);
    expect(lines(sums)).toEqual(['0.000000', '0.000000', '0.000000', '0.000000', '0.000000', '0.000000', '0.000000', '0', '0.000000']);
    sums.addSafeUnits(lineUnits([0, 0, 0, 0, 0, 0, 0, 0, 0]), 6, true, 0);
    expect(sums.line(7)).toBe('0.000000');
    expect(new ReportCostSums().line(0)).toBe('0');
  });

  it('stays exact where the number sum of a line would pass 2^53 within a few bills (odd counts near 2^52)', () => {
    // Three bills of 2^52 + 1 on a line sum to 3·2^52 + 3, odd and past 2^53: not a double. The
    // numbers must be moved into the DecimalSums before that (the bound check per bill).
    for (const spread of [1, 9]) {
      const sums = new ReportCostSums();
      const reference = references();
      const count = 2 ** 52 + 1;
      const units = Array.from({ length: COST_LINES }, (_, i) => (i < spread ? count : 0));
      for (let i = 0; i < 5; i++) apply([{ kind: 'number', units, places: 6, taxes: true }], sums, reference);
      expect(lines(sums)).toEqual(reference.map((r) => r.toString()));
    }
  });

  it('stays exact past 2^53 in total', () => {
    const sums = new ReportCostSums();
    const max = Array.from({ length: COST_LINES }, () => Number.MAX_SAFE_INTEGER);
    for (let i = 0; i < 10; i++) sums.addSafeUnits(lineUnits(max), 6, true, magnitudes(max));
    const expected = new DecimalSum().addUnits(BigInt(Number.MAX_SAFE_INTEGER) * 10n, 6).toString();
    expect(lines(sums)).toEqual(Array.from({ length: COST_LINES }, () => expected));
  });
});
