import { budgetPeriodBounds } from '@twin/core';
import { describe, expect, it } from 'vitest';
import { BillingMonth } from './billing-month';

describe('BillingMonth', () => {
  it("gives the UTC month's start of every time, across month and year boundaries, in and out of order", () => {
    const month = new BillingMonth();
    const times = [
      '2026-12-08T01:00:00.000Z',
      '2026-12-31T23:59:59.999Z',
      '2027-01-01T00:00:00.000Z',
      '2026-12-01T00:00:00.000Z',
      '2026-11-30T23:59:59.999Z',
      '2024-02-29T12:00:00.000Z',
      '2027-01-01T00:00:00.000Z',
    ];
    for (const t of times) expect(month.startOf(new Date(t))).toBe(budgetPeriodBounds('month', new Date(t)).from.toISOString());
  });

  it('throws on an invalid date as budgetPeriodBounds does (never a cached month for it)', () => {
    const month = new BillingMonth();
    month.startOf(new Date('2026-12-08T00:00:00Z'));
    expect(() => month.startOf(new Date(Number.NaN))).toThrow();
  });
});
