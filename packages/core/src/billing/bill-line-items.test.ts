import { describe, expect, it } from 'vitest';
import { itemiseBill } from './bill-line-items';
import { calculateBill } from './calculate-bill';
import { add, equals, rational, type Rational } from './rational';

const parseFraction = (s: string): Rational => {
  const [n = '0', d = '1'] = s.split('/');
  return rational(BigInt(n), BigInt(d));
};
import { testBillingConfig } from './test-billing-config';

describe('itemiseBill — every line re-checkable by hand', () => {
  const config = testBillingConfig({
    tokens: { inputPer1K: '0.002', cachedInputReadPer1K: '0.001', outputPer1K: '0.004' },
    streaming: { perSecond: '0.0001', perMB: '0.01' },
    bandwidthPremium: { thresholdKB: '100', perKB: '0.00001' },
    infrastructure: { perConnection: '0.001', perHour: '0.01' },
    volumeDiscount: { mode: 'volume', tiers: [{ thresholdTokens: 1_000_000, ratePercent: '10' }] },
    sla: { uptime: { minPercent: '99.5', penaltyPercent: '5' }, maxPenaltyPercent: '20' },
    taxes: [{ jurisdiction: 'DE', name: 'VAT', ratePercent: '19', reverseCharge: false }],
  });
  const metered = { usage: { inputTokens: 1000, cacheReadTokens: 200, outputTokens: 500 }, durationMs: 4_500, bytes: 250_000, connections: 2 };
  const bill = calculateBill(metered, config, { periodTokensBefore: 2_000_000, jurisdiction: 'DE', sla: { uptimePercent: '99' } });
  const itemised = itemiseBill(metered, config, bill);

  it('gives quantity, unit and unit price per bucket, in the pinned units', () => {
    const byDescription = Object.fromEntries(itemised.items.map((i) => [i.description, i]));
    expect(byDescription['Input tokens']).toMatchObject({ quantity: '0.8', unit: '1K tokens', unitPrice: '0.002', amount: '0.001600' });
    expect(byDescription['Cached input tokens (read)']).toMatchObject({ quantity: '0.2', unitPrice: '0.001', amount: '0.000200' });
    expect(byDescription['Output tokens']).toMatchObject({ quantity: '0.5', unitPrice: '0.004', amount: '0.002000' });
    expect(byDescription['Streaming time']).toMatchObject({ quantity: '4.5', unit: 'second', amount: '0.000450' });
    expect(byDescription['Data streamed']).toMatchObject({ quantity: '0.25', unit: 'MB', amount: '0.002500' });
    expect(byDescription['Data above 100 KB']).toMatchObject({ quantity: '150', unit: 'KB', amount: '0.001500' });
    expect(byDescription['Connections']).toMatchObject({ quantity: '2', unit: 'connection', amount: '0.002000' });
    // 4,500 ms = 0.00125 h exactly
    expect(byDescription['Connection time']).toMatchObject({ quantity: '0.00125', unit: 'hour', exact: '1/80000' });
    // 10% of the token cost 0.0038 (band from 1,000,000 tokens)
    expect(byDescription['Volume discount (volume)']).toMatchObject({ quantity: '10', unit: 'percent', base: '0.0038', amount: '-0.000380', tier: 'from 1,000,000 tokens in the period: 10%' });
    expect(byDescription['VAT (DE)']).toMatchObject({ quantity: '19', unit: 'percent' });
  });

  it('has exact amounts that add up to the bill’s exact total, and states the taxable base and tax total', () => {
    const sum = itemised.items.reduce((acc, i) => add(acc, parseFraction(i.exact)), rational(0n));
    expect(equals(sum, bill.exact.total)).toBe(true);
    expect(itemised.taxTotal).toBe(bill.lines.taxes[0]!.amount);
    expect(itemised.total).toBe(bill.lines.total);
  });
});
