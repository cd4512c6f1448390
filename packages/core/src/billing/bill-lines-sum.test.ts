import { describe, expect, it } from 'vitest';
import type { BillLines } from '../protocol/billing';
import { BillLinesSum } from './bill-lines-sum';

const lines = (amount: string, taxes: string[]): BillLines => ({
  tokenCost: amount,
  discount: '0',
  streaming: '0.5',
  bandwidthPremium: '0',
  infrastructure: '0.001',
  subtotal: amount,
  slaPenalty: '0.00',
  slaBreaches: [],
  taxes: taxes.map((t) => ({ jurisdiction: 'DE', name: 'VAT', ratePercent: '19', amount: t })),
  total: amount,
});

describe('BillLinesSum', () => {
  it('sums every line exactly, the tax lines into taxTotal, at the most places seen', () => {
    const sum = new BillLinesSum().add(lines('0.000001', ['0.10', '0.01'])).add(lines('1', []));
    expect(sum.tokenCost.toString()).toBe('1.000001');
    expect(sum.discount.toString()).toBe('0');
    expect(sum.streaming.toString()).toBe('1.0');
    expect(sum.infrastructure.toString()).toBe('0.002');
    expect(sum.slaPenalty.toString()).toBe('0.00');
    expect(sum.taxTotal.toString()).toBe('0.11');
    expect(sum.total.toString()).toBe('1.000001');
  });

  it('has zero taxes when no bill had a tax line', () => {
    expect(new BillLinesSum().add(lines('2', [])).taxTotal.toString()).toBe('0');
  });
});
