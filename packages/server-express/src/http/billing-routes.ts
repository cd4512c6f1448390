import { TwinError, streamBillingConfigSchema } from '@twin/core';
import { z } from 'zod';
import { tenantIdSchema } from '../auth/key-admin';
import { scopeOf, type BudgetScope } from '../storage/budget-store';
import { actingTenant, requireAdmin } from './acting-tenant';
import { queryUsageReport } from '../storage/usage-report';
import { readJsonBody, sendJson, validate } from './http-util';
import { readQuery } from './read-query';
import { billingRecordsQuerySchema, billingReportQuerySchema, budgetInputSchema, noQuerySchema } from './schemas';
import type { RouteContext } from './stream-routes';

/** `GET /api/billing/records`: the caller's records, newest first (keyset paging with `before`). */
export async function listRecords(ctx: RouteContext): Promise<void> {
  const q = validate(billingRecordsQuerySchema, readQuery(ctx.url), 'query');
  const records = await ctx.service.store.listBillingRecords(ctx.auth.tenantId, {
    ...(q.from ? { from: new Date(q.from) } : {}),
    ...(q.to ? { to: new Date(q.to) } : {}),
    ...(q.before ? { before: new Date(q.before) } : {}),
    ...(q.provider ? { provider: q.provider } : {}),
    ...(q.model ? { model: q.model } : {}),
    ...(q.state ? { state: q.state } : {}),
    limit: q.limit,
  });
  const last = records.at(-1);
  sendJson(ctx.res, 200, { records, ...(records.length === q.limit && last ? { next: { before: last.startedAt } } : {}) });
}

/**
 * `GET /api/billing/report?from&to&groupBy=&currency=`: final records whose stream ended in the
 * period, aggregated in SQL; trend against the previous period, projection (core's semantics).
 */
export async function report(ctx: RouteContext): Promise<void> {
  const q = validate(billingReportQuerySchema, readQuery(ctx.url), 'query');
  const now = new Date();
  const from = q.from ? new Date(q.from) : new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const to = q.to ? new Date(q.to) : new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  if (!(to > from)) throw new TwinError('invalid_request', 'Invalid query: to: must be after from.', { details: { field: 'to' } });
  const result = await queryUsageReport(ctx.service.store.db, {
    tenantId: ctx.auth.tenantId,
    from,
    to,
    groupBy: q.groupBy,
    now,
    ...(q.currency ? { currency: q.currency } : {}),
  });
  sendJson(ctx.res, 200, result);
}

/** `GET /api/billing/configs`: the pricing in force (stored, file, shipped defaults). */
export async function listConfigs(ctx: RouteContext): Promise<void> {
  validate(noQuerySchema, readQuery(ctx.url), 'query');
  sendJson(ctx.res, 200, { configs: ctx.service.pricing.list() });
}

const configListSchema = z.array(streamBillingConfigSchema).min(1).max(100);

/** `PUT /api/billing/configs` (admin keys only): stores one config or a list. */
export async function putConfigs(ctx: RouteContext): Promise<void> {
  validate(noQuerySchema, readQuery(ctx.url), 'query');
  requireAdmin(ctx, 'change pricing');
  // One schema or the other (not a union), so the 400 names the field inside the config.
  const raw = await readJsonBody(ctx.req);
  const list = Array.isArray(raw) ? validate(configListSchema, raw, 'pricing configs') : [validate(streamBillingConfigSchema, raw, 'pricing config')];
  const saved = [];
  for (const config of list) saved.push(await ctx.service.pricing.put(config));
  sendJson(ctx.res, 200, { configs: saved });
}

/** `?tenantId=`: an admin key acts for another tenant's budgets. */
const budgetQuerySchema = z.object({ api_key: z.string().optional(), tenantId: tenantIdSchema.optional() }).strict();

/** `GET /api/billing/budgets[?tenantId=]`: every budget of the caller's tenant (or, admin keys, the named one), whatever its scope. */
export async function listBudgets(ctx: RouteContext): Promise<void> {
  const tenantId = actingTenant(ctx, validate(budgetQuerySchema, readQuery(ctx.url), 'query').tenantId);
  const rows = await ctx.service.store.listBudgets(tenantId);
  sendJson(ctx.res, 200, {
    budgets: rows.map((b) => ({ id: b.id, scope: scopeOf(b), period: b.period, limit: b.limitAmount, currency: b.currency, ...b.config, updatedAt: b.updatedAt.toISOString() })),
  });
}

/** The stored id of a budget: tenant budgets keep the id they had before scopes. */
export function budgetId(tenantId: string, scope: BudgetScope, period: string): string {
  return scope.type === 'tenant' ? `budget_${tenantId}_${period}` : `budget_${tenantId}_${scope.type}_${scope.id}_${period}`;
}

/**
 * `PUT /api/billing/budgets`: sets a budget of the caller's tenant, one per scope and period. A key's
 * or an end user's budget needs a tenant-admin (or admin) key, so a member key cannot lift its own
 * limit, and names a key of that tenant (404 on `scope.id` otherwise). An admin key may name another
 * tenant with `?tenantId=`.
 */
export async function putBudget(ctx: RouteContext): Promise<void> {
  const tenantId = actingTenant(ctx, validate(budgetQuerySchema, readQuery(ctx.url), 'query').tenantId);
  const input = validate(budgetInputSchema, await readJsonBody(ctx.req), 'budget');
  const scope = input.scope;
  if (scope.type !== 'tenant' && ctx.auth.role === 'member') {
    throw new TwinError('forbidden', `Only tenant-admin or admin API keys may set the budget of ${scope.type === 'apiKey' ? 'an API key' : 'an end user'}.`, { details: { field: 'scope' } });
  }
  if (scope.type === 'apiKey') {
    const key = await ctx.service.keys.get(scope.id);
    if (!key || key.tenantId !== tenantId) throw new TwinError('not_found', `No API key ${scope.id} in this tenant.`, { details: { field: 'scope.id' } });
  }
  const updatedAt = new Date();
  await ctx.service.store.upsertBudget({
    id: budgetId(tenantId, scope, input.period),
    tenantId,
    scopeType: scope.type,
    scopeId: scope.type === 'tenant' ? '' : scope.id,
    period: input.period,
    limitAmount: input.limit,
    currency: input.currency,
    config: { alertAtPercent: input.alertAtPercent, action: input.action },
    updatedAt,
  });
  ctx.service.budgets.forget(tenantId);
  sendJson(ctx.res, 200, { budget: { ...input, updatedAt: updatedAt.toISOString() } });
}

/** `GET /api/billing/alerts`: budget alerts raised for the caller. */
export async function listAlerts(ctx: RouteContext): Promise<void> {
  validate(noQuerySchema, readQuery(ctx.url), 'query');
  const rows = await ctx.service.store.listAlerts(ctx.auth.tenantId);
  sendJson(ctx.res, 200, { alerts: rows });
}
