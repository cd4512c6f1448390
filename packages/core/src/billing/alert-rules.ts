import { TwinError } from '../errors/twin-error';
import { compare, parseDecimal, parseMeasurement } from './rational';

/** Metrics over a window, as the alert rules read them. */
export interface AlertMetrics {
  /** Length of the window the counts cover, in ms (drops are scaled to a per-hour rate). */
  windowMs: number;
  requests: number;
  errors: number;
  /** Average latency over the window, in ms (undefined when nothing was measured). */
  averageLatencyMs?: number;
  connectionDrops: number;
  /** Spend in the budget period and its limit, decimal strings in one currency. */
  cost?: string;
  costLimit?: string;
}

/** Thresholds; the defaults are the specification's. */
export interface AlertThresholds {
  /** Alert when errors / requests is ABOVE this percentage. Default "5". */
  errorRatePercent: string;
  /** Alert when the average latency is ABOVE this many ms. Default 5,000. */
  averageLatencyMs: number;
  /** Alert when connection drops per hour are ABOVE this. Default 100. */
  connectionDropsPerHour: number;
}

export const DEFAULT_ALERT_THRESHOLDS: Readonly<AlertThresholds> = Object.freeze({
  errorRatePercent: '5',
  averageLatencyMs: 5_000,
  connectionDropsPerHour: 100,
});

export type AlertRule = 'error-rate' | 'latency' | 'connection-drops' | 'cost-limit';

export interface Alert {
  rule: AlertRule;
  message: string;
  /** The measured value and the threshold it passed, as text (exact, no float formatting surprises). */
  value: string;
  threshold: string;
}

function nonNegativeInt(name: string, v: number): bigint {
  if (!Number.isSafeInteger(v) || v < 0) throw new TwinError('invalid_argument', `${name} must be a non-negative integer, got ${String(v)}.`);
  return BigInt(v);
}

/**
 * The specification's alert rules as one pure function: error rate > 5%, average latency > 5 s,
 * more than 100 connection drops per hour, cost limit exceeded. Each comparison is exact ("above"
 * means strictly above: exactly 5% errors does not alert). Returns the alerts that fire, in that order.
 */
export function evaluateAlertRules(metrics: AlertMetrics, thresholds: Partial<AlertThresholds> = {}): Alert[] {
  const t = { ...DEFAULT_ALERT_THRESHOLDS, ...thresholds };
  const alerts: Alert[] = [];
  const requests = nonNegativeInt('requests', metrics.requests);
  const errors = nonNegativeInt('errors', metrics.errors);
  const drops = nonNegativeInt('connectionDrops', metrics.connectionDrops);
  const windowMs = nonNegativeInt('windowMs', metrics.windowMs);

  if (requests > 0n) {
    // errors / requests > p / 100  ⇔  errors × 100 > p × requests (exact).
    const p = parseDecimal(t.errorRatePercent);
    if (errors * 100n * p.d > p.n * requests) {
      alerts.push({
        rule: 'error-rate',
        message: `Error rate ${metrics.errors}/${metrics.requests} is above ${t.errorRatePercent}%.`,
        value: `${metrics.errors}/${metrics.requests}`,
        threshold: `${t.errorRatePercent}%`,
      });
    }
  }
  if (metrics.averageLatencyMs !== undefined && compare(parseMeasurement(metrics.averageLatencyMs), parseMeasurement(t.averageLatencyMs)) > 0) {
    alerts.push({
      rule: 'latency',
      message: `Average latency ${metrics.averageLatencyMs} ms is above ${t.averageLatencyMs} ms.`,
      value: `${metrics.averageLatencyMs}ms`,
      threshold: `${t.averageLatencyMs}ms`,
    });
  }
  if (windowMs > 0n) {
    // drops per hour = drops × 3,600,000 / windowMs > limit  ⇔  drops × 3,600,000 > limit × windowMs.
    const limit = parseMeasurement(t.connectionDropsPerHour);
    if (drops * 3_600_000n * limit.d > limit.n * windowMs) {
      alerts.push({
        rule: 'connection-drops',
        message: `${metrics.connectionDrops} connection drops in ${metrics.windowMs} ms is above ${t.connectionDropsPerHour} per hour.`,
        value: `${metrics.connectionDrops}/${metrics.windowMs}ms`,
        threshold: `${t.connectionDropsPerHour}/h`,
      });
    }
  }
  if (metrics.cost !== undefined && metrics.costLimit !== undefined && compare(parseDecimal(metrics.cost), parseDecimal(metrics.costLimit)) > 0) {
    alerts.push({ rule: 'cost-limit', message: `Cost ${metrics.cost} exceeds the limit ${metrics.costLimit}.`, value: metrics.cost, threshold: metrics.costLimit });
  }
  return alerts;
}
