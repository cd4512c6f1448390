import { TwinError } from '@twin/core';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { sendJson, validate } from '../http/http-util';
import type { RouteContext } from '../http/stream-routes';
import { streamBillingRecords as r } from '../storage/schema';
import { billedAt } from '../storage/usage-report';
import type { SpendPoint } from './admin-api-types';
import { requireConsoleRole } from './admin-routes';


const isoDate = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO date');
const spendQuerySchema = z.object({
  from: isoDate,
  to: isoDate,
  bucket: z.enum(['hour', 'day']).default('day'),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be a 3-letter currency code in upper case, such as USD').optional(),
});

/**
 * `GET /api/admin/spend?from&to&bucket=hour|day&currency=`: the tenant's spend over time, for the
 * trend chart. Records count in the bucket their stream ended in (as `/api/billing/report` counts
 * them in its period), summed in SQL `numeric`: the points of a period add up to the report's total.
 */
export async function adminSpendSeries(ctx: RouteContext): Promise<void> {
  requireConsoleRole(ctx.auth);
  const q = validate(spendQuerySchema, Object.fromEntries(ctx.url.searchParams), 'query');
  const from = new Date(q.from);
  const to = new Date(q.to);
  if (!(to > from)) throw new TwinError('invalid_request', 'Invalid query: to: must be after from.', { details: { field: 'to' } });
  if (to.getTime() - from.getTime() > (q.bucket === 'hour' ? 31 : 400) * 86_400_000) {
    throw new TwinError('invalid_request', 'Invalid query: to: the period is too long for this bucket.', { details: { field: 'to' } });
  }
  const rows = (await ctx.service.store.db.execute(sql`select to_char(date_trunc(${q.bucket}, ${billedAt} at time zone 'UTC'), 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as "at", ${r.currency} as "currency",
      count(*)::int as "count", coalesce(sum(${r.total}), 0)::text as "total",
      coalesce(sum(coalesce(${r.inputTokens}, 0) + coalesce(${r.outputTokens}, 0)), 0)::bigint as "tokens"
    from ${r}
    where ${r.tenantId} = ${ctx.auth.tenantId} and ${r.state} = 'final'
      and ${billedAt} >= ${from.toISOString()}::timestamptz and ${billedAt} < ${to.toISOString()}::timestamptz
      ${q.currency ? sql`and ${r.currency} = ${q.currency}` : sql``}
    group by 1, 2 order by 1, 2`)) as unknown as Array<Record<string, unknown>>;
  const points: SpendPoint[] = rows.map((row) => ({
    // Formatted in SQL: both drivers give the same text, whatever their timestamp parsers do.
    at: new Date(String(row.at)).toISOString(),
    currency: String(row.currency),
    count: Number(row.count),
    total: String(row.total),
    tokens: Number(row.tokens),
  }));
  sendJson(ctx.res, 200, { from: from.toISOString(), to: to.toISOString(), bucket: q.bucket, points });
}
