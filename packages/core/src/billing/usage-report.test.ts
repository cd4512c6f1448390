import { describe, expect, it } from 'vitest';
import { streamUsageReportSchema, type StreamBillingRecord } from '../protocol/billing';
import { calculateBill } from './calculate-bill';
import { finalizeBillingRecord, openBillingRecord } from './billing-record';
import { buildUsageReport } from './usage-report';
import { testBillingConfig } from './test-billing-config';

const config = testBillingConfig({ tokens: { inputPer1K: '0.01', outputPer1K: '0.02' }, infrastructure: { perConnection: '0.001', perHour: '0' } });

function record(i: number, o: { provider?: string; model?: string; userId?: string; purpose?: string; endedAt: string; input: number; output: number }): StreamBillingRecord {
  const open = openBillingRecord({ streamId: `s${i}`, tenantId: 't', provider: o.provider ?? 'openai', model: o.model ?? 'gpt-4', userId: o.userId, purpose: o.purpose, startedAt: Date.parse(o.endedAt) - 1000, currency: 'USD' });
  const metered = { usage: { inputTokens: o.input, outputTokens: o.output }, durationMs: 1000, bytes: 100 };
  return finalizeBillingRecord(open, { endReason: 'complete', endedAt: Date.parse(o.endedAt), metered, bill: calculateBill(metered, config) });
}

// Each record: input × 0.01/1K + output × 0.02/1K + 0.001 connection.
const june = [
  record(1, { endedAt: '2025-06-02T10:00:00.000Z', input: 1000, output: 500, userId: 'ann', purpose: 'chat' }), // 0.01 + 0.01 + 0.001 = 0.021
  record(2, { endedAt: '2025-06-03T10:00:00.000Z', input: 2000, output: 0, userId: 'bob' }), // 0.02 + 0.001 = 0.021
  record(3, { endedAt: '2025-06-04T10:00:00.000Z', input: 100, output: 100, userId: 'ann', purpose: 'chat', provider: 'anthropic', model: 'claude-3-sonnet' }), // 0.001 + 0.002 + 0.001 = 0.004
];
const may = [record(4, { endedAt: '2025-05-20T00:00:00.000Z', input: 1000, output: 0 })]; // 0.011
const outside = [record(5, { endedAt: '2025-07-01T00:00:00.000Z', input: 9, output: 9 })]; // `to` is exclusive

describe('buildUsageReport', () => {
  const all = [...june, ...may, ...outside];

  it('sums counts, tokens, bytes, time and every cost line exactly over the period', () => {
    const report = buildUsageReport(all, { from: '2025-06-01T00:00:00Z', to: '2025-07-01T00:00:00Z' });
    expect(streamUsageReportSchema.parse(report)).toEqual(report);
    expect(report.totals).toMatchObject({ count: 3, inputTokens: 3100, outputTokens: 600, bytes: 300, durationMs: 3000 });
    expect(report.totals.cost).toMatchObject({ tokenCost: '0.043000', infrastructure: '0.003000', total: '0.046000' });
  });

  it('groups by any combination of dimensions', () => {
    const byProvider = buildUsageReport(all, { from: '2025-06-01', to: '2025-07-01', groupBy: ['provider'] });
    expect(byProvider.groups.map((g) => [g.key, g.count, g.cost.total])).toEqual([
      [{ provider: 'openai' }, 2, '0.042000'],
      [{ provider: 'anthropic' }, 1, '0.004000'],
    ]);
    const byUserPurpose = buildUsageReport(all, { from: '2025-06-01', to: '2025-07-01', groupBy: ['user', 'purpose'] });
    expect(byUserPurpose.groups.map((g) => [g.key, g.cost.total])).toEqual([
      [{ user: 'ann', purpose: 'chat' }, '0.025000'],
      [{ user: 'bob', purpose: '' }, '0.021000'],
    ]);
  });

  it('compares with the previous period of equal length', () => {
    const report = buildUsageReport(all, { from: '2025-06-01', to: '2025-07-01' });
    // May (previous 30 days): 1 stream, 0.011; June: 3 streams, 0.046 → +200% count, (0.046 − 0.011)/0.011 = +318.18…%
    expect(report.trend?.count).toBe('200.00');
    expect(report.trend?.total).toBe('318.18');
    expect(report.trend?.reasoningTokens).toBeUndefined(); // 0 before: no percentage
  });

  it('projects to the end of the period with the exact elapsed ratio', () => {
    // 10 of 30 days elapsed: × 3. 0.046 → 0.138; 3 streams → 9.
    const report = buildUsageReport(june, { from: '2025-06-01', to: '2025-07-01', now: '2025-06-11T00:00:00Z' });
    expect(report.projection?.total).toBe('0.138000');
    expect(report.projection?.count).toBe('9.000000');
    // A third of the period is not a finite decimal; the ratio stays exact and only the result is rounded.
    const third = buildUsageReport(june, { from: '2025-06-01', to: '2025-07-01', now: Date.UTC(2025, 5, 21) });
    expect(third.projection?.total).toBe('0.069000');
  });

  it('gives the same report over bills just priced as over their stored copies: no tax lines sum to "0"', () => {
    // `june` was priced by a table without taxes; the other zero lines are written "0.000000" per bill.
    const stored = june.map((r) => JSON.parse(JSON.stringify(r)) as StreamBillingRecord);
    const period = { from: '2025-06-01', to: '2025-07-01', groupBy: ['provider' as const] };
    const fresh = buildUsageReport(june, period);
    expect(fresh).toStrictEqual(buildUsageReport(stored, period));
    expect(fresh.totals.cost).toMatchObject({ taxes: '0', discount: '0.000000', slaPenalty: '0.000000' });
    for (const g of fresh.groups) expect(g.cost.taxes).toBe('0');
  });

  it('skips open records and refuses to add different currencies', () => {
    const open = openBillingRecord({ streamId: 'x', tenantId: 't', provider: 'p', model: 'm', startedAt: Date.UTC(2025, 5, 5), currency: 'USD' });
    expect(buildUsageReport([...june, open], { from: '2025-06-01', to: '2025-07-01' }).totals.count).toBe(3);
    const eur = { ...june[0]!, id: 'eur', currency: 'EUR' };
    expect(() => buildUsageReport([...june, eur], { from: '2025-06-01', to: '2025-07-01' })).toThrow(/report each currency separately/);
  });
});
