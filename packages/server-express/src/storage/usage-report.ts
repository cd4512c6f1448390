import { sql, type SQL } from 'drizzle-orm';
import {
  REPORT_COST_LINES,
  TwinError,
  usageProjection,
  usageTrend,
  type RoundingMode,
  type StreamUsageReport,
  type UsageReportDimension,
} from '@twin/core';
import type { TwinDatabase } from './open-database';
import { streamBillingRecords as r } from './schema';

type Totals = StreamUsageReport['totals'];

// Column names of the subquery `s` below (it selects whole rows of stream_billing_records). A
// missing value groups under '' as in core, so NULL and '' are one group.
const DIMENSION_COLUMNS: Record<UsageReportDimension, string> = {
  provider: 'provider',
  model: 'model',
  purpose: 'purpose',
  user: 'user_id',
  apiKey: 'api_key_id',
};

/** Every measure of the totals: the counts and each cost line (the type makes sure none is left out). */
type Measure = Exclude<keyof Totals, 'cost'> | (typeof REPORT_COST_LINES)[number];

// Every measure comes back as text: counts are bigint or numeric sums (converted to numbers in JS,
// integers well below 2^53), amounts are sums in Postgres `numeric`, exact, with the largest scale
// of their terms, which is what core's DecimalSum gives for the same strings.
const sum = (column: string) => `coalesce(sum(s.${column}), 0)::text`;
const MEASURES: Record<Measure, string> = {
  count: 'count(*)::text',
  inputTokens: sum('input_tokens'),
  outputTokens: sum('output_tokens'),
  cacheReadTokens: sum('cache_read_tokens'),
  cacheWriteTokens: sum('cache_write_tokens'),
  reasoningTokens: sum('reasoning_tokens'),
  bytes: sum('bytes'),
  durationMs: sum('duration_ms'),
  usageEstimated: 'count(*) filter (where s.usage_estimated)::text',
  usageMissing: 'count(*) filter (where s.usage_missing)::text',
  unpriced: 'count(*) filter (where s.unpriced)::text',
  tokenCost: sum('token_cost'),
  discount: sum('discount'),
  streaming: sum('streaming'),
  bandwidthPremium: sum('bandwidth_premium'),
  infrastructure: sum('infrastructure'),
  subtotal: sum('subtotal'),
  slaPenalty: sum('sla_penalty'),
  // tax_total is written as the numeric sum of the bill's tax lines (`finalizeFromX` in billing-finalization.ts).
  taxes: sum('tax_total'),
  total: sum('total'),
};

type Row = Record<string, string | boolean | number | null>;

function totalsOf(row: Row | undefined): Totals {
  const count = (k: string) => Number(row?.[k] ?? 0);
  const cost: Record<string, string> = {};
  for (const k of REPORT_COST_LINES) cost[k] = String(row?.[k] ?? '0');
  return {
    count: count('count'),
    inputTokens: count('inputTokens'),
    outputTokens: count('outputTokens'),
    cacheReadTokens: count('cacheReadTokens'),
    cacheWriteTokens: count('cacheWriteTokens'),
    reasoningTokens: count('reasoningTokens'),
    bytes: count('bytes'),
    durationMs: count('durationMs'),
    usageEstimated: count('usageEstimated'),
    usageMissing: count('usageMissing'),
    unpriced: count('unpriced'),
    cost,
  };
}

/** The moment a record was billed: when its stream ended (open records have no end and are not final). */
export const billedAt = sql`coalesce(${r.endedAt}, ${r.startedAt})`;

/** Code-unit order of group keys, the same on every database and collation. */
function compareKeys(a: string[], b: string[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return 0;
}

export interface UsageReportInput {
  tenantId: string;
  /** Period `[from, to)`: a record belongs to the period its stream ENDED in. */
  from: Date;
  to: Date;
  groupBy: UsageReportDimension[];
  /**
   * Report only records in this currency. Without it, the one currency of the tenant's records in
   * the period and the previous one (the trend's) is used, 'USD' when there are none; several
   * currencies are refused (400 `invalid_request` naming `currency`), never added together.
   */
  currency?: string;
  /** The clock for the projection (default: the current time). */
  now?: Date;
  trendPlaces?: number;
  projectionPlaces?: number;
  /** Rounding of trend and projection (default half-even, as core's `buildUsageReport`). */
  rounding?: RoundingMode;
}

/**
 * A tenant's usage report computed in SQL, with exactly the semantics (and output) of core's
 * `buildUsageReport` over the same records: final records whose stream ended in `[from, to)`,
 * grouped by any of provider, model, purpose, user, apiKey (missing value → ""; groups in key
 * order); counts, tokens, bytes, milliseconds, estimated/missing usage counts and the sum of every
 * cost line of `REPORT_COST_LINES` in Postgres `numeric`. Trend (vs the previous period of equal
 * length, when it had records) and projection (when `now` is after `from`) are core's `usageTrend`
 * and `usageProjection` applied to these totals.
 *
 * One statement reads the groups, the totals and the previous period's totals, per currency and
 * period (GROUPING SETS), so they all come from the same snapshot.
 */
export async function queryUsageReport(db: TwinDatabase, input: UsageReportInput): Promise<StreamUsageReport> {
  const { tenantId, from, to, groupBy } = input;
  if (!(to > from)) throw new TwinError('invalid_argument', 'A report period needs `to` after `from`.');
  const prevFrom = new Date(from.getTime() - (to.getTime() - from.getTime()));

  const dims = groupBy.map((d) => `coalesce(s.${DIMENSION_COLUMNS[d]}, '')`);
  const measures = Object.entries(MEASURES).map(([name, expr]) => `${expr} as "${name}"`);
  const select = [
    's.currency',
    's.in_period',
    ...dims.map((e, i) => `${e} as "d${i}"`),
    // 1 on the rows of the totals grouping set (no dimension), 0 on a group's row.
    dims.length ? `grouping(${dims.join(', ')}) <> 0 as "isTotal"` : 'true as "isTotal"',
    ...measures,
  ].join(', ');
  const groupClause = dims.length
    ? `grouping sets ((s.currency, s.in_period, ${dims.join(', ')}), (s.currency, s.in_period))`
    : 's.currency, s.in_period';
  const currencyFilter: SQL = input.currency ? sql` and ${r.currency} = ${input.currency}` : sql``;

  const result = await db.execute(sql`select ${sql.raw(select)}
    from (
      select ${r}.*, ${billedAt} >= ${from.toISOString()}::timestamptz as in_period
      from ${r}
      where ${r.tenantId} = ${tenantId} and ${r.state} = 'final'
        and ${billedAt} >= ${prevFrom.toISOString()}::timestamptz and ${billedAt} < ${to.toISOString()}::timestamptz${currencyFilter}
    ) s
    group by ${sql.raw(groupClause)}`);
  // Both drivers resolve execute() to the array of rows (PGlite through its worker's pg-proxy session).
  const rows = result as unknown as Row[];

  const currencies = [...new Set(rows.map((row) => String(row.currency)))].sort();
  if (!input.currency && currencies.length > 1) {
    throw new TwinError(
      'invalid_request',
      `The records of this period and the previous one are in ${currencies.join(', ')}: pass \`currency\` to report one of them (amounts in different currencies are never added).`,
      { details: { field: 'currency', currencies } },
    );
  }
  const currency = input.currency ?? currencies[0] ?? 'USD';
  const isTrue = (v: unknown) => v === true || v === 't';
  let current: Row | undefined;
  let previous: Row | undefined;
  const groupRows: Array<{ values: string[]; row: Row }> = [];
  for (const row of rows) {
    const inPeriod = isTrue(row.in_period);
    if (!isTrue(row.isTotal)) {
      if (inPeriod) groupRows.push({ values: dims.map((_, i) => String(row[`d${i}`] ?? '')), row });
    } else if (inPeriod) current = row;
    else previous = row;
  }
  groupRows.sort((a, b) => compareKeys(a.values, b.values));

  const totals = totalsOf(current);
  const report: StreamUsageReport = {
    from: from.toISOString(),
    to: to.toISOString(),
    currency,
    groupBy: [...groupBy],
    // Without dimensions core has one group (key {}) as soon as there is a record.
    groups: dims.length
      ? groupRows.map(({ values, row }) => ({ key: Object.fromEntries(groupBy.map((d, i) => [d, values[i]!])), ...totalsOf(row) }))
      : totals.count > 0
        ? [{ key: {}, ...totals }]
        : [],
    totals,
  };
  const mode = input.rounding ?? 'half-even';
  const before = totalsOf(previous);
  if (before.count > 0) report.trend = usageTrend(totals, before, input.trendPlaces ?? 2, mode);
  const now = (input.now ?? new Date()).getTime();
  const projection = usageProjection(totals, { from: from.getTime(), to: to.getTime(), now }, input.projectionPlaces ?? 6, mode);
  if (projection) report.projection = projection;
  return report;
}

