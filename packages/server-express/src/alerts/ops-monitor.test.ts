import { describe, expect, it } from 'vitest';
import { StreamStatsWindow } from '../observability/stream-stats';
import { createOpsMonitor } from './ops-monitor';

const thresholds = { errorRatePercent: 5, meanLatencyMs: 5_000, dropsPerHour: 100 };

function sample(at: number, endReason: string, ttftMs = 100) {
  return { tenantId: 't', at, ttftMs, durationMs: 1_000, bytes: 10, events: 1, endReason };
}

describe('createOpsMonitor', () => {
  it('raises error-rate above 5% (not at exactly 5%), once an hour', async () => {
    let now = 10_000_000;
    const stats = new StreamStatsWindow();
    const raised: string[] = [];
    const monitor = createOpsMonitor({ stats, thresholds: () => thresholds, now: () => now, raise: async (a) => void raised.push(a.kind) });
    for (let i = 0; i < 95; i++) stats.record(sample(now - 1_000, 'complete'));
    for (let i = 0; i < 5; i++) stats.record(sample(now - 1_000, 'error'));
    expect(await monitor.check()).toEqual([]); // 5 of 100 is not above 5%
    stats.record(sample(now - 1_000, 'error'));
    expect(await monitor.check()).toEqual(['error_rate']);
    now += 60_000;
    stats.record(sample(now - 1_000, 'error'));
    expect(await monitor.check()).toEqual([]); // already raised this hour
    expect(raised).toEqual(['error_rate']);
  });

  it('raises mean latency above 5 s and more than 100 drops in the last hour', async () => {
    const now = 10_000_000;
    const stats = new StreamStatsWindow();
    const monitor = createOpsMonitor({ stats, thresholds: () => thresholds, now: () => now, raise: async () => undefined });
    for (let i = 0; i < 20; i++) stats.record(sample(now - 1_000, 'complete', 5_001));
    for (let i = 0; i < 101; i++) stats.record(sample(now - 30 * 60_000, 'client_abort'));
    stats.record(sample(now - 2 * 3_600_000, 'client_abort')); // outside the hour
    expect(await monitor.check()).toEqual(['latency', 'drops']);
  });

  it('raises a cost alert when the spend of the hour is above the limit', async () => {
    const monitor = createOpsMonitor({
      stats: new StreamStatsWindow(),
      thresholds: () => ({ ...thresholds, costPerHour: { amount: '10.00', currency: 'USD' } }),
      raise: async () => undefined,
      spendAbove: async (_since, amount) => ({ above: amount === '10.00', spent: '10.01' }),
    });
    expect(await monitor.check()).toEqual(['cost.hour']);
  });
});
