import { TwinError } from '@twin/core';
import { createKeyAs, createKeyBodySchema, listKeysAs, managedKey, publicKey, revokeKeyAs, rotateKeyAs, rotateKeyBodySchema, tenantIdSchema, tenantLimitsBodySchema, updateKeyAs, updateKeyBodySchema } from '../auth/key-admin';
import { requireAdminKey } from '../auth/require-admin-key';
import { readJsonBody, sendJson, validate } from './http-util';
import type { RouteContext } from './stream-routes';

/** `GET /api/keys?tenant=`: admins see every tenant (or one), others their own. */
export async function listKeys(ctx: RouteContext): Promise<void> {
  const rows = await listKeysAs(ctx.service.keys, ctx.auth, ctx.url.searchParams.get('tenant') ?? undefined);
  sendJson(ctx.res, 200, { keys: rows.map((r) => publicKey(r)) });
}

/** `POST /api/keys`: 201 with the key itself, shown this once. */
export async function createKey(ctx: RouteContext): Promise<void> {
  const body = validate(createKeyBodySchema, await readJsonBody(ctx.req), 'body');
  const { row, key } = await createKeyAs(ctx.service.keys, ctx.auth, body);
  sendJson(ctx.res, 201, { ...publicKey(row), key });
}

/** `GET /api/keys/:id`. */
export async function getKey(ctx: RouteContext): Promise<void> {
  sendJson(ctx.res, 200, publicKey(await managedKey(ctx.service.keys, ctx.auth, ctx.params.id!)));
}

/** `PATCH /api/keys/:id`: label, expiry, allow-lists, limits. Applies at once on this instance. */
export async function updateKey(ctx: RouteContext): Promise<void> {
  const body = validate(updateKeyBodySchema, await readJsonBody(ctx.req), 'body');
  const row = await updateKeyAs(ctx.service.keys, ctx.auth, ctx.params.id!, body);
  ctx.service.auth.clearCache();
  sendJson(ctx.res, 200, publicKey(row));
}

/** `DELETE /api/keys/:id`: revokes (the row stays, for the audit trail). */
export async function revokeKey(ctx: RouteContext): Promise<void> {
  const { row, revoked } = await revokeKeyAs(ctx.service.keys, ctx.auth, ctx.params.id!);
  ctx.service.auth.clearCache();
  sendJson(ctx.res, 200, { ...publicKey(row), revoked });
}

/** `POST /api/keys/:id/rotate`: a new key with the same settings; the old one ends (after `graceSeconds`). */
export async function rotateKey(ctx: RouteContext): Promise<void> {
  const body = validate(rotateKeyBodySchema, ctx.req.headers['content-length'] === '0' || !ctx.req.headers['content-type'] ? {} : await readJsonBody(ctx.req), 'body');
  const { row, key, replaced } = await rotateKeyAs(ctx.service.keys, ctx.auth, ctx.params.id!, body.graceSeconds ?? 0);
  ctx.service.auth.clearCache();
  sendJson(ctx.res, 201, { ...publicKey(row), key, replaced: publicKey(replaced) });
}

/** `GET /api/tenants/:id/limits`. */
export async function getTenantLimits(ctx: RouteContext): Promise<void> {
  const tenant = ctx.params.id!;
  if (ctx.auth.role !== 'admin' && ctx.auth.tenantId !== tenant) throw new TwinError('not_found', `No tenant ${tenant}.`);
  const limits = ctx.service.limits.tenantLimits(tenant);
  sendJson(ctx.res, 200, { tenantId: tenant, requestsPerMinute: limits.requestsPerMinute ?? null, tokensPerMinute: limits.tokensPerMinute ?? null });
}

/** `PUT /api/tenants/:id/limits` (admin): the tenant's requests and tokens per minute over all its keys. */
export async function putTenantLimits(ctx: RouteContext): Promise<void> {
  requireAdminKey(ctx.auth, 'Only admin keys may set tenant limits.');
  const tenant = validate(tenantIdSchema, ctx.params.id, 'path');
  const body = validate(tenantLimitsBodySchema, await readJsonBody(ctx.req), 'body');
  const limits = { ...(body.requestsPerMinute ? { requestsPerMinute: body.requestsPerMinute } : {}), ...(body.tokensPerMinute ? { tokensPerMinute: body.tokensPerMinute } : {}) };
  await ctx.service.limits.setTenantLimits(tenant, limits);
  sendJson(ctx.res, 200, { tenantId: tenant, requestsPerMinute: limits.requestsPerMinute ?? null, tokensPerMinute: limits.tokensPerMinute ?? null });
}
