import { describe, expect, it } from 'vitest';
import type { BillLines } from '../../protocol/billing';
import { BillLinesSum } from '../bill-lines-sum';
import { invoiceTotals } from './invoice-totals';

const lines: BillLines = {
  tokenCost: '10.004',
  discount: '0.5',
  streaming: '0.25',
  bandwidthPremium: '0',
  infrastructure: '0.0001',
  subtotal: '9.7541',
  slaPenalty: '0.97',
  slaBreaches: ['latency'],
  taxes: [{ jurisdiction: 'DE', name: 'VAT', ratePercent: '19', amount: '1.668' }],
  total: '10.4521',
};

describe('invoiceTotals', () => {
  it('writes the sums, the taxable base, and the total rounded once as the amount due', () => {
    const { slaBreaches: _, taxes: __, ...sums } = lines;
    // One bill: its lines are the sums; the key order is the invoice's (JSON and CSV follow it).
    const totals = invoiceTotals(new BillLinesSum().add(lines), 2);
    expect(Object.keys(totals)).toEqual([...Object.keys(sums).filter((k) => k !== 'total'), 'taxableBase', 'taxTotal', 'total', 'amountDue', 'roundingAdjustment']);
    expect(totals).toEqual({ ...sums, taxableBase: '8.7841', taxTotal: '1.668', amountDue: '10.45', roundingAdjustment: '-0.0021' });
  });

  it('rounds half up, and the adjustment has the places of the amount due when the total has fewer', () => {
    const totals = invoiceTotals(new BillLinesSum().add({ ...lines, total: '2.5', taxes: [] }), 0);
    expect([totals.amountDue, totals.roundingAdjustment, totals.taxTotal]).toEqual(['3', '0.5', '0']);
    expect(invoiceTotals(new BillLinesSum().add({ ...lines, total: '2.5' }), 3).roundingAdjustment).toBe('0.000');
  });
});
