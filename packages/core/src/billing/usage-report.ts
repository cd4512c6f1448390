import { TwinError } from '../errors/twin-error';
import type { RoundingMode, StreamBillingRecord, StreamUsageReport, UsageReportDimension } from '../protocol/billing';
import { PricedBillLines } from './priced-bill-lines';
import { ReportCostSums } from './report-cost-sum';
import { usageProjection, usageTrend } from './usage-trend';

/** The cost lines a report sums (each record's bill lines; `taxes` is the sum of its tax lines). */
export const REPORT_COST_LINES = ['tokenCost', 'discount', 'streaming', 'bandwidthPremium', 'infrastructure', 'subtotal', 'slaPenalty', 'taxes', 'total'] as const;
export type ReportCostLine = (typeof REPORT_COST_LINES)[number];

export interface UsageReportOptions {
  /** Start of the period (inclusive). A record belongs to the period its stream ENDED in (when it was billed). */
  from: Date | string | number;
  /** End of the period (exclusive). */
  to: Date | string | number;
  /** Dimensions to group by, in order; `[]` (default) gives one group. */
  groupBy?: readonly UsageReportDimension[];
  /** Currency of the report; defaults to the first record's. Records in another currency are an error. */
  currency?: string;
  /** The caller's clock, for the projection to the end of the period. Without it there is no projection. */
  now?: Date | string | number;
  /** Decimal places of the projected amounts (default 6) and trend percentages (default 2). */
  projectionPlaces?: number;
  trendPlaces?: number;
  rounding?: RoundingMode;
}

interface Totals {
  count: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
  bytes: number;
  durationMs: number;
  usageEstimated: number;
  usageMissing: number;
  unpriced: number;
  cost: ReportCostSums;
}

function newTotals(): Totals {
  return {
    count: 0,
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
    bytes: 0,
    durationMs: 0,
    usageEstimated: 0,
    usageMissing: 0,
    unpriced: 0,
    cost: new ReportCostSums(),
  };
}

// Token, byte and millisecond counts are integers (not amounts); plain numbers hold them exactly up to 2^53.
function addRecord(t: Totals, r: StreamBillingRecord): void {
  t.count += 1;
  t.inputTokens += r.inputTokens ?? 0;
  t.outputTokens += r.outputTokens ?? 0;
  t.cacheReadTokens += r.cacheReadTokens ?? 0;
  t.cacheWriteTokens += r.cacheWriteTokens ?? 0;
  t.reasoningTokens += r.reasoningTokens ?? 0;
  t.bytes += r.bytes;
  t.durationMs += r.durationMs;
  if (r.usageEstimated) t.usageEstimated += 1;
  if (r.usageMissing) t.usageMissing += 1;
  if (r.unpriced) t.unpriced += 1;
  const l = r.lines;
  if (!l) return;
  if (!PricedBillLines.addUnitsTo(l, t.cost)) t.cost.addLines(l);
}

function mergeTotals(into: Totals, t: Totals): void {
  into.count += t.count;
  into.inputTokens += t.inputTokens;
  into.outputTokens += t.outputTokens;
  into.cacheReadTokens += t.cacheReadTokens;
  into.cacheWriteTokens += t.cacheWriteTokens;
  into.reasoningTokens += t.reasoningTokens;
  into.bytes += t.bytes;
  into.durationMs += t.durationMs;
  into.usageEstimated += t.usageEstimated;
  into.usageMissing += t.usageMissing;
  into.unpriced += t.unpriced;
  into.cost.addSums(t.cost);
}

function exportTotals(t: Totals) {
  const cost: Record<string, string> = {};
  REPORT_COST_LINES.forEach((name, i) => (cost[name] = t.cost.line(i)));
  return {
    count: t.count,
    inputTokens: t.inputTokens,
    outputTokens: t.outputTokens,
    cacheReadTokens: t.cacheReadTokens,
    cacheWriteTokens: t.cacheWriteTokens,
    reasoningTokens: t.reasoningTokens,
    bytes: t.bytes,
    durationMs: t.durationMs,
    usageEstimated: t.usageEstimated,
    usageMissing: t.usageMissing,
    unpriced: t.unpriced,
    cost,
  };
}

function ms(t: Date | string | number, name: string): number {
  const v = t instanceof Date ? t.getTime() : typeof t === 'number' ? t : Date.parse(t);
  if (!Number.isFinite(v)) throw new TwinError('invalid_argument', `${name} must be a valid date.`);
  return v;
}

function dimensionValue(r: StreamBillingRecord, d: UsageReportDimension): string {
  switch (d) {
    case 'provider':
      return r.provider;
    case 'model':
      return r.model;
    case 'purpose':
      return r.purpose ?? '';
    case 'user':
      return r.userId ?? '';
    case 'apiKey':
      return r.apiKeyId ?? '';
  }
}

// Canonical `toISOString()` times (what records hold) compare as strings, which spares a Date.parse
// per record. The shape check is positional; anything else is parsed.
function isCanonicalIso(s: string): boolean {
  return s.length === 24 && s.charCodeAt(23) === 90 /* Z */ && s.charCodeAt(10) === 84 /* T */ && s.charCodeAt(19) === 46 /* . */ && s.charCodeAt(4) === 45 /* - */;
}

/**
 * Aggregates final billing records over a period, grouped by any combination of provider, model,
 * purpose, user and API key: counts, tokens, bytes, milliseconds and the exact sum of every cost line.
 * Records that ended in the previous period of equal length feed the trend (percent change per
 * measure); with `now`, totals are projected to the end of the period at the rate so far, the
 * elapsed share being the exact ratio (now − from) / (to − from). Open records are not billed yet and
 * are skipped. A missing dimension value (no purpose, no user) groups under "".
 *
 * @example
 * ```ts
 * const report = buildUsageReport(records, { from: '2025-06-01', to: '2025-07-01', groupBy: ['provider', 'model'], now: Date.now() });
 * report.totals.cost.total;   // "1234.567890" (exact sum)
 * report.projection?.total;   // month-end projection
 * ```
 */
export function buildUsageReport(records: Iterable<StreamBillingRecord>, options: UsageReportOptions): StreamUsageReport {
  const from = ms(options.from, 'from');
  const to = ms(options.to, 'to');
  if (to <= from) throw new TwinError('invalid_argument', 'A report period needs `to` after `from`.');
  const prevFrom = from - (to - from);
  const isoFrom = new Date(from).toISOString();
  const isoTo = new Date(to).toISOString();
  const isoPrev = new Date(prevFrom).toISOString();
  const groupBy = options.groupBy ?? [];
  // Groups live in nested maps, one level per dimension: lookups use the records' own strings (whose
  // hashes are cached) instead of a concatenated key built per record.
  interface Group { key: Record<string, string>; totals: Totals }
  const root = new Map<string, unknown>();
  const groups: Group[] = [];
  let single: Group | undefined;
  const previous = newTotals();
  let currency = options.currency;

  for (const r of records) {
    if (r.state !== 'final') continue;
    const end = r.endedAt ?? r.startedAt;
    let inPeriod: boolean;
    let inPrevious: boolean;
    if (isCanonicalIso(end)) {
      inPeriod = end >= isoFrom && end < isoTo;
      inPrevious = !inPeriod && end >= isoPrev && end < isoFrom;
    } else {
      const t = Date.parse(end);
      inPeriod = t >= from && t < to;
      inPrevious = !inPeriod && t >= prevFrom && t < from;
    }
    if (!inPeriod && !inPrevious) continue;
    currency ??= r.currency;
    if (r.currency !== currency) {
      throw new TwinError('invalid_argument', `Record ${r.id} is in ${r.currency}, the report in ${currency}; report each currency separately.`);
    }
    if (inPrevious) {
      addRecord(previous, r);
      continue;
    }
    let g: Group | undefined;
    if (groupBy.length === 0) g = single ??= groups[groups.push({ key: {}, totals: newTotals() }) - 1];
    else {
      let node = root;
      const last = groupBy.length - 1;
      for (let i = 0; i < last; i++) {
        const v = dimensionValue(r, groupBy[i]!);
        let next = node.get(v) as Map<string, unknown> | undefined;
        if (!next) node.set(v, (next = new Map<string, unknown>()));
        node = next;
      }
      const v = dimensionValue(r, groupBy[last]!);
      g = node.get(v) as Group | undefined;
      if (!g) {
        const key: Record<string, string> = {};
        for (const d of groupBy) key[d] = dimensionValue(r, d);
        g = { key, totals: newTotals() };
        groups.push(g);
        node.set(v, g);
      }
    }
    addRecord(g!.totals, r);
  }

  const totals = newTotals();
  for (const g of groups) mergeTotals(totals, g.totals);
  const report: StreamUsageReport = {
    from: isoFrom,
    to: isoTo,
    currency: currency ?? 'USD',
    groupBy: [...groupBy],
    groups: groups.map((g) => ({ key: g.key, ...exportTotals(g.totals) })),
    totals: exportTotals(totals),
  };

  const mode = options.rounding ?? 'half-even';
  if (previous.count > 0) report.trend = usageTrend(report.totals, exportTotals(previous), options.trendPlaces ?? 2, mode);
  if (options.now !== undefined) {
    const projection = usageProjection(report.totals, { from, to, now: ms(options.now, 'now') }, options.projectionPlaces ?? 6, mode);
    if (projection) report.projection = projection;
  }
  return report;
}
