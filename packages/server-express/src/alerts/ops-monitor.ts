import type { StreamStatsWindow } from '../observability/stream-stats';
import type { AlertMessage } from './webhook-dispatcher';

/** The operational thresholds (defaults: error rate 5%, mean latency 5 s, 100 drops an hour). */
export interface OpsThresholds {
  errorRatePercent: number;
  meanLatencyMs: number;
  dropsPerHour: number;
  /** Server-wide spend in the last hour above which a `cost.hour` alert is raised. */
  costPerHour?: { amount: string; currency: string } | undefined;
  /** Fewer finished streams than this in the 5-minute window say nothing about rates (default 20). */
  minSamples?: number;
}

export interface OpsMonitorOptions {
  stats: StreamStatsWindow;
  thresholds: () => OpsThresholds;
  /** Stores and sends an alert. */
  raise: (alert: Omit<AlertMessage, 'id' | 'createdAt'>) => Promise<void>;
  /** Whether the spend billed since `since` is above `amount` (exact, in SQL), and the spend. */
  spendAbove?: (since: Date, amount: string, currency: string) => Promise<{ above: boolean; spent: string }>;
  now?: () => number;
}

const WINDOW_MS = 5 * 60_000;
const HOUR_MS = 3_600_000;

/**
 * Raises server-wide (`tenantId` `*`) alerts when the last 5 minutes' error rate or mean time to
 * first token, the last hour's dropped streams (clients gone before the end), or the last hour's
 * spend pass their thresholds. Each kind is raised at most once an hour, so a lasting incident is
 * one alert, not one per check. `check()` is called by a timer (or a test with its own clock).
 */
export function createOpsMonitor(options: OpsMonitorOptions) {
  const now = options.now ?? Date.now;
  const lastRaised = new Map<string, number>();
  const once = async (kind: string, alert: Omit<AlertMessage, 'id' | 'createdAt' | 'kind' | 'tenantId'>) => {
    const at = now();
    const last = lastRaised.get(kind);
    if (last !== undefined && at - last < HOUR_MS) return false;
    lastRaised.set(kind, at);
    await options.raise({ ...alert, kind, tenantId: '*' });
    return true;
  };

  return {
    /** Evaluates every threshold once; returns the kinds raised. */
    async check(): Promise<string[]> {
      const t = options.thresholds();
      const at = now();
      const raised: string[] = [];
      const minSamples = t.minSamples ?? 20;
      const recent = options.stats.summarise(at - WINDOW_MS);
      if (recent.finished >= minSamples) {
        const errorRate = (recent.failed * 100) / recent.finished;
        if (errorRate > t.errorRatePercent) {
          const message = `Error rate ${errorRate.toFixed(1)}% over the last 5 minutes (${recent.failed} of ${recent.finished} streams), above ${t.errorRatePercent}%.`;
          if (await once('error_rate', { severity: 'critical', message, data: { errorRatePercent: errorRate, failed: recent.failed, finished: recent.finished, threshold: t.errorRatePercent } })) raised.push('error_rate');
        }
      }
      if (recent.ttftCount >= minSamples) {
        const mean = recent.ttftSumMs / recent.ttftCount;
        if (mean > t.meanLatencyMs) {
          const message = `Mean time to first token ${Math.round(mean)} ms over the last 5 minutes, above ${t.meanLatencyMs} ms.`;
          if (await once('latency', { severity: 'warning', message, data: { meanTtftMs: mean, streams: recent.ttftCount, threshold: t.meanLatencyMs } })) raised.push('latency');
        }
      }
      const hour = options.stats.summarise(at - HOUR_MS);
      if (hour.dropped > t.dropsPerHour) {
        const message = `${hour.dropped} streams dropped by their clients in the last hour, above ${t.dropsPerHour}.`;
        if (await once('drops', { severity: 'warning', message, data: { dropped: hour.dropped, threshold: t.dropsPerHour } })) raised.push('drops');
      }
      if (t.costPerHour && options.spendAbove) {
        const { above, spent } = await options.spendAbove(new Date(at - HOUR_MS), t.costPerHour.amount, t.costPerHour.currency);
        if (above) {
          const message = `Spend ${spent} ${t.costPerHour.currency} in the last hour, above ${t.costPerHour.amount}.`;
          if (await once('cost.hour', { severity: 'critical', message, data: { spent, limit: t.costPerHour.amount, currency: t.costPerHour.currency } })) raised.push('cost.hour');
        }
      }
      return raised;
    },
  };
}
export type OpsMonitor = ReturnType<typeof createOpsMonitor>;
