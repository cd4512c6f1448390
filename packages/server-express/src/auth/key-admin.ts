import { TwinError } from '@twin/core';
import { z } from 'zod';
import type { ApiKeyPatch, ApiKeyRecord, ApiKeyAdminStore } from '../storage/api-key-admin-store';
import type { PublicApiKey } from '../admin/admin-api-types';
import { createApiKey, type ApiKeyRole, type AuthContext } from './authenticator';

/** Tenant ids as keys carry them. */
export const tenantIdSchema = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 characters of A-Z, a-z, 0-9, "_", "." or "-"');
const limit = z.number().int().positive().nullable();
const names = z.array(z.string().min(1).max(200)).max(100).nullable();

const keySettings = z.strictObject({
  /** A label to recognise the key by. */
  name: z.string().min(1).max(200).optional(),
  /** ISO 8601 instant after which the key stops working (null: never). */
  expiresAt: z.iso.datetime({ offset: true }).nullable().optional(),
  allowedModels: names.optional(),
  allowedProviders: names.optional(),
  requestsPerMinute: limit.optional(),
  tokensPerMinute: limit.optional(),
});

/** `POST /api/keys` body. */
export const createKeyBodySchema = keySettings.extend({
  /** Default: the caller's tenant. Only `admin` keys may name another. */
  tenantId: tenantIdSchema.optional(),
  role: z.enum(['member', 'tenant-admin', 'admin']).optional(),
  /** Alternative to `expiresAt`: the key expires this many seconds from now. */
  expiresInSeconds: z.number().int().positive().optional(),
});
export type CreateKeyBody = z.infer<typeof createKeyBodySchema>;

/** `PATCH /api/keys/:id` body. */
export const updateKeyBodySchema = keySettings;
export type UpdateKeyBody = z.infer<typeof updateKeyBodySchema>;

/** `POST /api/keys/:id/rotate` body. */
export const rotateKeyBodySchema = z.strictObject({
  /** The old key keeps working this long (default 0: revoked at once), so deployments can roll over. */
  graceSeconds: z.number().int().min(0).max(30 * 86_400).optional(),
});

/** `PUT /api/tenants/:id/limits` body. */
export const tenantLimitsBodySchema = z.strictObject({ requestsPerMinute: limit.optional(), tokensPerMinute: limit.optional() });

/** A key as listed: never its secret or hash. */
export function publicKey(row: ApiKeyRecord, now = Date.now()): PublicApiKey {
  const status: PublicApiKey['status'] = row.revokedAt ? 'revoked' : row.expiresAt && row.expiresAt.getTime() <= now ? 'expired' : 'active';
  return {
    id: row.id,
    tenantId: row.tenantId,
    name: row.name,
    role: row.role,
    prefix: row.prefix,
    status,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
    allowedModels: row.allowedModels ?? null,
    allowedProviders: row.allowedProviders ?? null,
    requestsPerMinute: row.requestsPerMinute ?? null,
    tokensPerMinute: row.tokensPerMinute ?? null,
    rotatedFrom: row.rotatedFrom ?? null,
  };
}

/** Admins manage every tenant; tenant admins only their own; members nothing. */
function assertManages(auth: AuthContext, tenant: string): void {
  if (auth.role === 'admin') return;
  if (auth.role === 'tenant-admin' && auth.tenantId === tenant) return;
  throw new TwinError('forbidden', auth.role === 'member' ? 'Managing API keys needs an admin or tenant-admin key.' : "A tenant admin manages its own tenant's keys only.");
}

/** A key of a tenant the caller manages; another tenant's key is 404, as everywhere. */
export async function managedKey(keys: ApiKeyAdminStore, auth: AuthContext, id: string): Promise<ApiKeyRecord> {
  const row = await keys.get(id);
  if (!row || (auth.role !== 'admin' && row.tenantId !== auth.tenantId)) throw new TwinError('not_found', `No API key ${id}.`, { details: { field: 'id' } });
  assertManages(auth, row.tenantId);
  return row;
}

function patchOf(body: UpdateKeyBody): ApiKeyPatch {
  const patch: ApiKeyPatch = {};
  if (body.name !== undefined) patch.name = body.name;
  if (body.expiresAt !== undefined) patch.expiresAt = body.expiresAt === null ? null : new Date(body.expiresAt);
  if (body.allowedModels !== undefined) patch.allowedModels = body.allowedModels;
  if (body.allowedProviders !== undefined) patch.allowedProviders = body.allowedProviders;
  if (body.requestsPerMinute !== undefined) patch.requestsPerMinute = body.requestsPerMinute;
  if (body.tokensPerMinute !== undefined) patch.tokensPerMinute = body.tokensPerMinute;
  return patch;
}

export async function listKeysAs(keys: ApiKeyAdminStore, auth: AuthContext, tenant?: string): Promise<ApiKeyRecord[]> {
  if (auth.role === 'admin') return keys.list(tenant);
  assertManages(auth, tenant ?? auth.tenantId);
  return keys.list(auth.tenantId);
}

/** Creates a key; `key` is the secret, returned this once. */
export async function createKeyAs(keys: ApiKeyAdminStore, auth: AuthContext, body: CreateKeyBody): Promise<{ row: ApiKeyRecord; key: string }> {
  const tenant = body.tenantId ?? auth.tenantId;
  assertManages(auth, tenant);
  if (body.role === 'admin' && auth.role !== 'admin') throw new TwinError('forbidden', 'Only admin keys may create admin keys.', { details: { field: 'role' } });
  const patch = patchOf(body);
  if (body.expiresInSeconds !== undefined) patch.expiresAt = new Date(Date.now() + body.expiresInSeconds * 1000);
  const created = await createApiKey(keys, { tenantId: tenant, ...patch, ...(body.role ? { role: body.role } : {}) });
  return { row: (await keys.get(created.id))!, key: created.key };
}

export async function updateKeyAs(keys: ApiKeyAdminStore, auth: AuthContext, id: string, body: UpdateKeyBody): Promise<ApiKeyRecord> {
  const row = await managedKey(keys, auth, id);
  return (await keys.update(row.id, patchOf(body))) ?? row;
}

export async function revokeKeyAs(keys: ApiKeyAdminStore, auth: AuthContext, id: string): Promise<{ row: ApiKeyRecord; revoked: boolean }> {
  const row = await managedKey(keys, auth, id);
  const revoked = await keys.revoke(row.id, new Date());
  return { row: (await keys.get(row.id))!, revoked };
}

/** A new key with the old one's settings; the old one is revoked, or expires after `graceSeconds`. */
export async function rotateKeyAs(keys: ApiKeyAdminStore, auth: AuthContext, id: string, graceSeconds: number): Promise<{ row: ApiKeyRecord; key: string; replaced: ApiKeyRecord }> {
  const old = await managedKey(keys, auth, id);
  if (old.revokedAt) throw new TwinError('conflict', `API key ${old.id} is revoked; create a new one instead.`, { details: { field: 'id' } });
  const created = await createApiKey(keys, {
    tenantId: old.tenantId,
    name: old.name,
    role: old.role as ApiKeyRole,
    expiresAt: old.expiresAt,
    allowedModels: old.allowedModels,
    allowedProviders: old.allowedProviders,
    requestsPerMinute: old.requestsPerMinute,
    tokensPerMinute: old.tokensPerMinute,
    rotatedFrom: old.id,
  });
  if (graceSeconds === 0) await keys.revoke(old.id, new Date());
  else {
    const end = new Date(Date.now() + graceSeconds * 1000);
    await keys.update(old.id, { expiresAt: old.expiresAt && old.expiresAt < end ? old.expiresAt : end });
  }
  return { row: (await keys.get(created.id))!, key: created.key, replaced: (await keys.get(old.id))! };
}
