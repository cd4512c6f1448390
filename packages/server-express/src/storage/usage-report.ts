import { and, eq, gte, lt, sql, type SQL } from 'drizzle-orm';
import type { StreamUsageReport, UsageReportDimension } from '@twin/core';
import type { TwinDatabase } from './open-database';
import { streamBillingRecords as r } from './schema';

const DIMENSION_COLUMNS = {
  provider: r.provider,
  model: r.model,
  purpose: r.purpose,
  user: r.userId,
  apiKey: r.apiKeyId,
} as const;

const MONEY = ['tokenCost', 'discount', 'streaming', 'bandwidthPremium', 'infrastructure', 'subtotal', 'slaPenalty', 'taxTotal', 'total'] as const;

// Sums run in Postgres `numeric`, so every amount stays exact; they come back as strings.
const measures = {
  count: sql<number>`count(*)::int`,
  inputTokens: sql<string>`coalesce(sum(${r.inputTokens}), 0)::text`,
  outputTokens: sql<string>`coalesce(sum(${r.outputTokens}), 0)::text`,
  cacheReadTokens: sql<string>`coalesce(sum(${r.cacheReadTokens}), 0)::text`,
  cacheWriteTokens: sql<string>`coalesce(sum(${r.cacheWriteTokens}), 0)::text`,
  reasoningTokens: sql<string>`coalesce(sum(${r.reasoningTokens}), 0)::text`,
  bytes: sql<string>`coalesce(sum(${r.bytes}), 0)::text`,
  durationMs: sql<string>`coalesce(sum(${r.durationMs}), 0)::text`,
  tokenCost: sql<string>`coalesce(sum(${r.tokenCost}), 0)::text`,
  discount: sql<string>`coalesce(sum(${r.discount}), 0)::text`,
  streaming: sql<string>`coalesce(sum(${r.streaming}), 0)::text`,
  bandwidthPremium: sql<string>`coalesce(sum(${r.bandwidthPremium}), 0)::text`,
  infrastructure: sql<string>`coalesce(sum(${r.infrastructure}), 0)::text`,
  subtotal: sql<string>`coalesce(sum(${r.subtotal}), 0)::text`,
  slaPenalty: sql<string>`coalesce(sum(${r.slaPenalty}), 0)::text`,
  taxTotal: sql<string>`coalesce(sum(${r.taxTotal}), 0)::text`,
  total: sql<string>`coalesce(sum(${r.total}), 0)::text`,
};

type Row = { [K in keyof typeof measures]: K extends 'count' ? number : string };

function totals(row: Row | undefined): StreamUsageReport['totals'] {
  const n = (s: string | undefined) => Number(s ?? 0);
  return {
    count: row?.count ?? 0,
    inputTokens: n(row?.inputTokens),
    outputTokens: n(row?.outputTokens),
    cacheReadTokens: n(row?.cacheReadTokens),
    cacheWriteTokens: n(row?.cacheWriteTokens),
    reasoningTokens: n(row?.reasoningTokens),
    bytes: n(row?.bytes),
    durationMs: n(row?.durationMs),
    cost: Object.fromEntries(MONEY.map((k) => [k, row?.[k] ?? '0'])),
  };
}

/**
 * Aggregates a tenant's final billing records over `[from, to)`, grouped by any of provider, model,
 * purpose, user, apiKey. `trend` compares each measure with the previous period of equal length
 * (percent change, 2 decimals; absent when the previous value is 0); `projection` extrapolates the
 * money and token totals to the end of the period at the rate so far, when the period is running.
 * All money arithmetic is Postgres `numeric`.
 */
export async function buildUsageReport(
  db: TwinDatabase,
  input: { tenantId: string; from: Date; to: Date; groupBy: UsageReportDimension[]; currency?: string; now?: Date },
): Promise<StreamUsageReport> {
  const { tenantId, from, to, groupBy } = input;
  const inRange = (a: Date, b: Date): SQL =>
    and(eq(r.tenantId, tenantId), eq(r.state, 'final'), gte(r.startedAt, a), lt(r.startedAt, b))!;
  const dims = Object.fromEntries(groupBy.map((d) => [d, sql<string | null>`${DIMENSION_COLUMNS[d]}`]));
  const groupRows = groupBy.length
    ? await db
        .select({ ...dims, ...measures })
        .from(r)
        .where(inRange(from, to))
        .groupBy(...groupBy.map((d) => DIMENSION_COLUMNS[d]))
    : [];
  const [current] = (await db.select(measures).from(r).where(inRange(from, to))) as Row[];
  const length = to.getTime() - from.getTime();
  const prevFrom = new Date(from.getTime() - length);
  const [previous] = (await db.select(measures).from(r).where(inRange(prevFrom, from))) as Row[];

  const trendKeys = ['count', 'inputTokens', 'outputTokens', 'bytes', ...MONEY] as const;
  const trendRows = await db.execute<Record<string, string | null>>(
    sql`select ${sql.join(
      trendKeys.map(
        (k) =>
          sql`case when ${String(previous?.[k] ?? 0)}::numeric = 0 then null else round((${String(current?.[k] ?? 0)}::numeric - ${String(previous?.[k] ?? 0)}::numeric) * 100 / ${String(previous?.[k] ?? 0)}::numeric, 2)::text end as ${sql.identifier(k)}`,
      ),
      sql`, `,
    )}`,
  );
  const trendRow: Record<string, string | null> = rowsOf<Record<string, string | null>>(trendRows)[0] ?? {};
  const trend: Record<string, string> = {};
  for (const k of trendKeys) if (trendRow[k] != null) trend[k] = String(trendRow[k]);

  const now = input.now ?? new Date();
  let projection: Record<string, string> | undefined;
  if (now > from && now < to) {
    const elapsed = now.getTime() - from.getTime();
    const projKeys = ['inputTokens', 'outputTokens', ...MONEY] as const;
    const projRows = await db.execute<Record<string, string>>(
      sql`select ${sql.join(
        projKeys.map((k) => sql`round(${String(current?.[k] ?? 0)}::numeric * ${length}::numeric / ${elapsed}::numeric, 6)::text as ${sql.identifier(k)}`),
        sql`, `,
      )}`,
    );
    projection = rowsOf<Record<string, string>>(projRows)[0] ?? {};
  }

  return {
    from: from.toISOString(),
    to: to.toISOString(),
    currency: input.currency ?? 'USD',
    groupBy,
    groups: (groupRows as unknown as Array<Row & Record<string, string | null>>).map((row) => ({
      key: Object.fromEntries(groupBy.map((d) => [d, row[d] ?? ''])),
      ...totals(row),
    })),
    totals: totals(current),
    trend,
    ...(projection ? { projection } : {}),
  };
}

/** postgres-js returns an array; PGlite returns `{ rows }`. */
function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}
