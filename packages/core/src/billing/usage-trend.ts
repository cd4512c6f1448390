import type { RoundingMode, StreamUsageReport } from '../protocol/billing';
import { divInt, mulInt, parseDecimal, type Rational } from './rational';
import { roundRational } from './round-rational';

/** The totals of a usage report: counts as integers, cost lines as exact decimal strings. */
export type UsageReportTotals = StreamUsageReport['totals'];

const COUNT_MEASURES = ['count', 'inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheWriteTokens', 'reasoningTokens', 'bytes', 'durationMs'] as const;

/** Every measure of report totals as an exact rational, by name: the counts, then each cost line. */
function measures(t: UsageReportTotals): Map<string, Rational> {
  const m = new Map<string, Rational>();
  for (const k of COUNT_MEASURES) m.set(k, parseDecimal(t[k]));
  for (const [name, value] of Object.entries(t.cost)) m.set(name, parseDecimal(value));
  return m;
}

/**
 * Percent change of every measure from the previous period to this one, `(now − before) / before × 100`
 * computed exactly and rounded once. Measures that were 0 before have no percentage and are left out.
 * Shared by core's `buildUsageReport` and the server's SQL report, so both give the same figures.
 */
export function usageTrend(current: UsageReportTotals, previous: UsageReportTotals, places = 2, mode: RoundingMode = 'half-even'): Record<string, string> {
  const now = measures(current);
  const trend: Record<string, string> = {};
  for (const [name, before] of measures(previous)) {
    if (before.n === 0n) continue;
    const value = now.get(name) ?? { n: 0n, d: 1n };
    const change: Rational = { n: (value.n * before.d - before.n * value.d) * 100n, d: value.d * before.n };
    trend[name] = roundRational(change.d < 0n ? { n: -change.n, d: -change.d } : change, places, mode);
  }
  return trend;
}

/**
 * Totals carried to the end of the period `[from, to)` at the rate so far: value × length / elapsed,
 * the elapsed share `(min(now, to) − from) / (to − from)` kept as an exact ratio of milliseconds.
 * Undefined before the period starts. A period that is over projects to its totals.
 */
export function usageProjection(current: UsageReportTotals, period: { from: number; to: number; now: number }, places = 6, mode: RoundingMode = 'half-even'): Record<string, string> | undefined {
  const { from, to, now } = period;
  if (!(now > from)) return undefined;
  const elapsed = BigInt(Math.round(Math.min(now, to) - from)) || 1n;
  const length = BigInt(Math.round(to - from));
  const projection: Record<string, string> = {};
  for (const [name, value] of measures(current)) projection[name] = roundRational(divInt(mulInt(value, length), elapsed), places, mode);
  return projection;
}
