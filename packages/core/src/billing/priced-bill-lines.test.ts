import { describe, expect, it } from 'vitest';
import { billLinesSchema, type StreamBillingRecord } from '../protocol/billing';
import { finalizeBillingRecord, openBillingRecord } from './billing-record';
import { calculateBill } from './calculate-bill';
import { testBillingConfig } from './test-billing-config';
import { buildUsageReport } from './usage-report';

const config = testBillingConfig({
  tokens: { inputPer1K: '0.0123', outputPer1K: '0.0456' },
  streaming: { perSecond: '0.0001', perMB: '0.01' },
  infrastructure: { perConnection: '0.001', perHour: '0.0137' },
  sla: { latency: { maxMs: 400, percentile: 'p95', penaltyPercent: '10' }, maxPenaltyPercent: '15' },
  taxes: [{ jurisdiction: 'DE', name: 'VAT', ratePercent: '19' }, { jurisdiction: 'DE', name: 'Levy', ratePercent: '0.5' }],
});

function priced(i: number): StreamBillingRecord {
  const metered = { usage: { inputTokens: 100 + i * 37, outputTokens: 11 * i }, durationMs: 1_234 * i, bytes: 977 * i };
  const bill = calculateBill(metered, config, { jurisdiction: i % 2 ? 'DE' : 'FR', sla: { latencyMs: i % 3 ? 350 : 450 } });
  const open = openBillingRecord({ streamId: `s${i}`, tenantId: 't', provider: 'openai', model: 'gpt-4', startedAt: Date.UTC(2025, 5, 2), currency: 'USD' });
  return finalizeBillingRecord(open, { endReason: 'complete', endedAt: Date.UTC(2025, 5, 2, 0, 1), metered, bill });
}
const period = { from: '2025-06-01', to: '2025-07-01', groupBy: ['model' as const], now: '2025-06-11T00:00:00Z' };

describe('the exact amounts kept behind a fresh bill’s lines', () => {
  it('are plain BillLines to JSON, spreads and the schema', () => {
    const lines = priced(3).lines!;
    const copy = JSON.parse(JSON.stringify(lines)) as Record<string, unknown>;
    expect(Object.keys(copy).sort()).toEqual(Object.keys({ ...lines }).sort());
    expect(billLinesSchema.parse(lines)).toEqual(copy);
    expect(Object.isFrozen(lines.taxes)).toBe(true);
  });

  it('give the same report as the strings, parsed from stored copies', () => {
    const records = Array.from({ length: 60 }, (_, i) => priced(i + 1));
    const stored = records.map((r) => JSON.parse(JSON.stringify(r)) as StreamBillingRecord);
    expect(buildUsageReport(records, period)).toEqual(buildUsageReport(stored, period));
  });

  it('are not used once a line was changed: the report sums what the record says', () => {
    const records = [priced(1), priced(2)];
    const before = buildUsageReport(records, period).totals.cost;
    records[1]!.lines!.total = '100.000000';
    records[0]!.lines!.taxes = []; // priced(1) is billed in DE: two taxes
    const after = buildUsageReport(records, period).totals.cost;
    const expected = buildUsageReport(records.map((r) => ({ ...r, lines: { ...r.lines! } })), period).totals.cost;
    expect(after).toEqual(expected);
    expect(after.total).not.toBe(before.total);
    expect(after.taxes).not.toBe(before.taxes);
  });

  // Each amount is checked on its own: a report that skipped one line's check would sum the stale
  // units of that line (the written amounts moved from an array to named fields in #19's fifth round).
  const AMOUNTS = ['tokenCost', 'discount', 'streaming', 'bandwidthPremium', 'infrastructure', 'subtotal', 'slaPenalty', 'total'] as const;
  const REPORTED = { tokenCost: 'tokenCost', discount: 'discount', streaming: 'streaming', bandwidthPremium: 'bandwidthPremium', infrastructure: 'infrastructure', subtotal: 'subtotal', slaPenalty: 'slaPenalty', total: 'total' } as const;
  it.each(AMOUNTS)('sums the string of %s once that one line was changed', (name) => {
    const records = [priced(4), priced(5), priced(6)];
    const before = buildUsageReport(records, period).totals.cost;
    records[1]!.lines![name] = '7.000001';
    const after = buildUsageReport(records, period).totals.cost;
    const expected = buildUsageReport(records.map((r) => ({ ...r, lines: { ...r.lines! } })), period).totals.cost;
    expect(after).toEqual(expected);
    expect(after[REPORTED[name]]).not.toBe(before[REPORTED[name]]);
  });

  it('sums a changed tax line array from its strings', () => {
    const records = [priced(1), priced(3)]; // both billed in DE: two tax lines each
    const before = buildUsageReport(records, period).totals.cost;
    records[1]!.lines!.taxes = [{ ...records[1]!.lines!.taxes[0]!, amount: '1.000000' }];
    const after = buildUsageReport(records, period).totals.cost;
    const expected = buildUsageReport(records.map((r) => ({ ...r, lines: { ...r.lines! } })), period).totals.cost;
    expect(after).toEqual(expected);
    expect(after.taxes).not.toBe(before.taxes);
  });

  it('give the same report as the strings for bills past 2^31 units, before and after smaller ones', () => {
    // Units past a small integer are held by reference beside small ones in the same fields: a
    // report over both kinds, in both orders, must sum exactly what the strings say.
    const big = (i: number): StreamBillingRecord => {
      const metered = { usage: { inputTokens: 4_000_000_000 + i, outputTokens: 3_000_000_000 }, durationMs: 86_400_000 * i, bytes: 5_000_000_000 };
      const bill = calculateBill(metered, config, { jurisdiction: 'DE', sla: { latencyMs: 450 } });
      const open = openBillingRecord({ streamId: `b${i}`, tenantId: 't', provider: 'openai', model: 'gpt-4', startedAt: Date.UTC(2025, 5, 2), currency: 'USD' });
      return finalizeBillingRecord(open, { endReason: 'complete', endedAt: Date.UTC(2025, 5, 2, 0, 1), metered, bill });
    };
    const records = [priced(1), big(1), priced(2), big(2), priced(3)];
    expect(Number(records[1]!.lines!.total) * 1e6).toBeGreaterThan(2 ** 31);
    for (const list of [records, [...records].reverse()]) {
      const stored = list.map((r) => JSON.parse(JSON.stringify(r)) as StreamBillingRecord);
      expect(buildUsageReport(list, period)).toEqual(buildUsageReport(stored, period));
    }
  });
});
