import { describe, expect, it } from 'vitest';
import * as twin from '../index';

// The documented flow (docs/billing.md), end to end through the package's public entry point.
describe('billing through the public API', () => {
  it('meters, bills, records, reports, budgets and alerts one stream', () => {
    const config = twin.findPricing(twin.DEFAULT_PRICING, 'simulated', 'sim-1', '2025-06-10T12:00:00Z')!;
    let record = twin.openBillingRecord({ streamId: 'st_1', tenantId: 'acme', userId: 'ann', provider: 'simulated', model: 'sim-1', startedAt: '2025-06-10T12:00:00.000Z', currency: config.currency, pricingConfigId: config.id });

    const meter = new twin.StreamMeter({ startedAt: Date.parse(record.startedAt) });
    meter.recordPart({ type: 'text-delta', text: 'Hello there' });
    meter.recordBytes(1_200);
    meter.recordPart({ type: 'usage', usage: { inputTokens: 25, outputTokens: 3 } });
    const metered = meter.finish(Date.parse(record.startedAt) + 1_500);

    const bill = twin.calculateBill(metered, config, { periodTokensBefore: 0, sla: { uptimePercent: '99.9', latencyMs: 120 } });
    // tokens 25 × 0.001/1K + 3 × 0.002/1K = 0.000031; streaming 1.5 × 0.0001 + 0.0012 × 0.01 = 0.000162;
    // infrastructure 0.001 + 1,500/3,600,000 × 0.01 = 0.00100416…; total 0.00119716… → 0.001197
    expect(bill.lines.total).toBe('0.001197');
    record = twin.finalizeBillingRecord(record, { endReason: 'complete', endedAt: '2025-06-10T12:00:01.500Z', metered, bill });
    expect(twin.streamBillingRecordSchema.parse(record).state).toBe('final');
    expect(twin.costReceiptFromBill(bill, record.id).total).toBe('0.001197');

    const report = twin.buildUsageReport([record], { from: '2025-06-01', to: '2025-07-01', groupBy: ['user'] });
    expect(report.groups[0]).toMatchObject({ key: { user: 'ann' }, count: 1, cost: { total: '0.001197' } });

    const budget = twin.budgetSchema.parse({ scope: { type: 'user', id: 'ann' }, period: 'month', hardLimit: '0.001' });
    expect(twin.evaluateBudget(budget, report.totals.cost.total!).status).toBe('hard-stop');
    expect(twin.evaluateAlertRules({ windowMs: 3_600_000, requests: 1, errors: 0, connectionDrops: 0, cost: report.totals.cost.total, costLimit: '0.001' }).map((a) => a.rule)).toEqual(['cost-limit']);
    expect(twin.roundRational(twin.parseDecimal(report.totals.cost.total!), 2, 'half-up')).toBe('0.00');
  });
});
