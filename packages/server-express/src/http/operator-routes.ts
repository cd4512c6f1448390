import { z } from 'zod';
import type { WebhookDeliveryView } from '../admin/admin-api-types';
import { tenantIdSchema } from '../auth/key-admin';
import { requireAdminKey } from '../auth/require-admin-key';
import { sendJson, validate } from './http-util';
import type { RouteContext } from './stream-routes';

/**
 * The server operator's routes (admin keys only): the provider routing in force and its reload, the
 * alert webhooks' delivery log, a test alert. (The console's own routes are in admin/admin-routes.ts.)
 */
const assertAdmin = (ctx: RouteContext) => requireAdminKey(ctx.auth, 'This needs an admin API key.');

/** `GET /api/admin/routing`: the routing in force (no secrets: the file names variables only) and circuit states. */
export async function getRouting(ctx: RouteContext): Promise<void> {
  assertAdmin(ctx);
  const { router, routing } = ctx.service;
  sendJson(ctx.res, 200, {
    providers: router.providerNames,
    defaultProvider: router.defaultProvider,
    aliases: Object.fromEntries(router.aliases.map((a) => [a, router.resolve({ model: a }).chain])),
    circuits: router.circuits(),
    config: routing,
  });
}

/**
 * `POST /api/admin/routing/reload`: re-reads the routing config file. Streams already running keep
 * their providers; an invalid file answers 400 naming the path in the file and changes nothing.
 */
export async function reloadRouting(ctx: RouteContext): Promise<void> {
  assertAdmin(ctx);
  // An invalid file is `config_invalid` (400), its message naming the path in the file.
  ctx.service.reloadRouting();
  const { router } = ctx.service;
  sendJson(ctx.res, 200, { reloaded: true, providers: router.providerNames, aliases: router.aliases, defaultProvider: router.defaultProvider });
}

const deliveriesQuerySchema = z.strictObject({
  status: z.enum(['pending', 'delivered', 'failed']).optional(),
  limit: z.coerce.number().int().min(1).max(1_000).optional(),
  before: z.iso.datetime({ offset: true }).optional(),
  /** One tenant's alerts only (the console shows its tenant's; server-wide alerts are tenant `*`). */
  tenant: z.union([tenantIdSchema, z.literal('*')]).optional(),
});

/** `GET /api/admin/webhooks/deliveries?status&limit&before&tenant`: the delivery log, newest first. */
export async function listDeliveries(ctx: RouteContext): Promise<void> {
  assertAdmin(ctx);
  const query = validate(deliveriesQuerySchema, Object.fromEntries(ctx.url.searchParams), 'query');
  const rows = await ctx.service.alerts.deliveries.list({
    ...(query.status ? { status: query.status } : {}),
    ...(query.limit ? { limit: query.limit } : {}),
    ...(query.before ? { before: new Date(query.before) } : {}),
    ...(query.tenant ? { tenantId: query.tenant } : {}),
  });
  sendJson(ctx.res, 200, {
    deliveries: rows.map((r): WebhookDeliveryView => ({
      id: r.id,
      alertId: r.alertId,
      tenantId: r.tenantId,
      kind: r.kind,
      url: r.url,
      status: r.status as WebhookDeliveryView['status'],
      attempts: r.attempts,
      lastStatus: r.lastStatus,
      lastError: r.lastError,
      createdAt: r.createdAt.toISOString(),
      nextAttemptAt: r.nextAttemptAt?.toISOString() ?? null,
      deliveredAt: r.deliveredAt?.toISOString() ?? null,
    })),
  });
}

/** `POST /api/admin/alerts/test`: raises a `test` alert, to check the webhooks end to end. */
export async function testAlert(ctx: RouteContext): Promise<void> {
  assertAdmin(ctx);
  const alert = await ctx.service.alerts.raise({ tenantId: ctx.auth.tenantId, kind: 'test', severity: 'warning', message: 'A test alert from twin-server.' });
  await ctx.service.alerts.dispatcher.idle();
  sendJson(ctx.res, 201, { alert: { ...alert, createdAt: alert.createdAt.toISOString() }, deliveries: (await ctx.service.alerts.deliveries.list({ limit: 100 })).filter((d) => d.alertId === alert.id).map((d) => ({ id: d.id, url: d.url, status: d.status, attempts: d.attempts })) });
}
