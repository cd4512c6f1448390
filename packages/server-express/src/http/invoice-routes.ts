import { TwinError, billingProfileSchema, invoiceToCsv, invoiceToHtml, type BillingProfile } from '@twin/core';
import { z } from 'zod';
import { actingTenant, requireAdmin } from './acting-tenant';
import { readJsonBody, sendJson, validate } from './http-util';
import type { RouteContext } from './stream-routes';

/** A calendar month (`2026-11`) or an explicit `[from, to)`. */
const periodSchema = z.union([
  z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month such as "2026-11"'),
  z.object({ from: z.iso.datetime({ offset: true }), to: z.iso.datetime({ offset: true }) }),
]);

/** `2026-11` → [2026-11-01, 2026-12-01) UTC. */
export function periodBounds(period: z.infer<typeof periodSchema>): { from: Date; to: Date } {
  if (typeof period !== 'string') return { from: new Date(period.from), to: new Date(period.to) };
  const [y, m] = period.split('-').map(Number) as [number, number];
  return { from: new Date(Date.UTC(y, m - 1, 1)), to: new Date(Date.UTC(y, m, 1)) };
}

const issueSchema = z.object({ tenantId: z.string().min(1).optional(), period: periodSchema });
const creditSchema = z.object({ reason: z.string().min(1).max(500) });
const formatSchema = z.enum(['json', 'csv', 'html']).default('json');

/** A tenant's profile, or the default one (USD, no taxes, no plan) when none was set. */
export async function profileOf(ctx: RouteContext, tenantId: string): Promise<BillingProfile> {
  return (await ctx.service.profiles.get(tenantId)) ?? billingProfileSchema.parse({ tenantId });
}

/** `GET /api/billing/profile[?tenantId=]`. */
export async function getProfile(ctx: RouteContext): Promise<void> {
  const tenantId = actingTenant(ctx, ctx.url.searchParams.get('tenantId') ?? undefined);
  sendJson(ctx.res, 200, { profile: await profileOf(ctx, tenantId) });
}

/** `PUT /api/billing/profile` (admin keys): sets a tenant's currency, jurisdiction and taxes, SLA and discount plan. */
export async function putProfile(ctx: RouteContext): Promise<void> {
  requireAdmin(ctx, 'change billing profiles');
  const raw = (await readJsonBody(ctx.req)) as Record<string, unknown> | null;
  const profile = validate(billingProfileSchema, { tenantId: ctx.auth.tenantId, ...(raw && typeof raw === 'object' ? raw : {}) }, 'billing profile');
  await ctx.service.profiles.put(profile);
  ctx.service.pricing.forgetProfile(profile.tenantId);
  sendJson(ctx.res, 200, { profile });
}

/** `POST /api/billing/invoices` (admin keys): issues a tenant's invoice for a period that is over. */
export async function issueInvoice(ctx: RouteContext): Promise<void> {
  requireAdmin(ctx, 'issue invoices');
  const input = validate(issueSchema, await readJsonBody(ctx.req), 'invoice');
  const { from, to } = periodBounds(input.period);
  const invoice = await ctx.service.invoices.issue({ profile: await profileOf(ctx, actingTenant(ctx, input.tenantId)), from, to });
  sendJson(ctx.res, 201, { invoice });
}

/** `GET /api/billing/invoices[?tenantId=]`. */
export async function listInvoices(ctx: RouteContext): Promise<void> {
  const tenantId = actingTenant(ctx, ctx.url.searchParams.get('tenantId') ?? undefined);
  sendJson(ctx.res, 200, { invoices: await ctx.service.invoices.list(tenantId) });
}

/** `GET /api/billing/invoices/:number?format=json|csv|html`. */
export async function getInvoice(ctx: RouteContext): Promise<void> {
  const format = validate(formatSchema, ctx.url.searchParams.get('format') ?? undefined, 'format');
  const invoice = await ctx.service.invoices.get(decodeURIComponent(ctx.params.number!));
  // Another tenant's invoice is "not found" to a member, so numbers reveal nothing.
  if (!invoice || (invoice.tenantId !== ctx.auth.tenantId && ctx.auth.role !== 'admin')) throw new TwinError('not_found', `No invoice ${ctx.params.number}.`);
  if (format === 'json') return sendJson(ctx.res, 200, { invoice });
  const body = format === 'csv' ? invoiceToCsv(invoice) : invoiceToHtml(invoice);
  ctx.res.writeHead(200, {
    'Content-Type': format === 'csv' ? 'text/csv; charset=utf-8' : 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    ...(format === 'csv' ? { 'Content-Disposition': `attachment; filename="${invoice.number}.csv"` } : { 'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'" }),
  });
  ctx.res.end(body);
}

/** `POST /api/billing/invoices/:number/credit-note` (admin keys): cancels an issued invoice. */
export async function creditInvoice(ctx: RouteContext): Promise<void> {
  requireAdmin(ctx, 'issue credit notes');
  const input = validate(creditSchema, await readJsonBody(ctx.req), 'credit note');
  const note = await ctx.service.invoices.credit(decodeURIComponent(ctx.params.number!), input);
  sendJson(ctx.res, 201, { invoice: note });
}
