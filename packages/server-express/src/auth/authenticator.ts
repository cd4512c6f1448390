import { TwinError } from '@twin/core';
import type { IncomingMessage } from 'node:http';
import type { ApiKeyRow } from '../storage/store-rows';
import type { TwinStore } from '../storage/twin-store';
import { apiKeyDisplayPrefix, generateApiKey, hashApiKey, randomId } from './api-key';

/** Who is calling: every request is scoped to this tenant. */
export interface AuthContext {
  tenantId: string;
  apiKeyId: string;
  /** `admin`: the whole server; `tenant-admin`: its tenant's keys; `member`: streams and its tenant's data. */
  role: ApiKeyRole;
  /** Epoch ms after which the key no longer authenticates. */
  expiresAt?: number;
  /** When set, the only models / providers this key may stream from. */
  allowedModels?: readonly string[];
  allowedProviders?: readonly string[];
  /** This key's own rate limits (its tenant's apply as well). */
  requestsPerMinute?: number;
  tokensPerMinute?: number;
}

/** What an API key may do. */
export type ApiKeyRole = 'admin' | 'tenant-admin' | 'member';
export const API_KEY_ROLES: readonly ApiKeyRole[] = ['member', 'tenant-admin', 'admin'];

/** The request context of a stored key row (no secret in it). */
export function authContextOf(row: ApiKeyRow): AuthContext {
  return {
    tenantId: row.tenantId,
    apiKeyId: row.id,
    role: API_KEY_ROLES.includes(row.role as ApiKeyRole) ? (row.role as ApiKeyRole) : 'member',
    ...(row.expiresAt ? { expiresAt: row.expiresAt.getTime() } : {}),
    ...(row.allowedModels ? { allowedModels: row.allowedModels } : {}),
    ...(row.allowedProviders ? { allowedProviders: row.allowedProviders } : {}),
    ...(row.requestsPerMinute !== null ? { requestsPerMinute: row.requestsPerMinute } : {}),
    ...(row.tokensPerMinute !== null ? { tokensPerMinute: row.tokensPerMinute } : {}),
  };
}

/** How requests are authenticated. */
export type AuthMode =
  /** Every request needs an API key (`Authorization: Bearer`, `X-Api-Key`, or `?api_key=` for EventSource). */
  | { mode: 'api-key'; cacheTtlMs?: number }
  /** Development only: every request acts as `tenantId` (default `dev`) with the admin role. */
  | { mode: 'off'; tenantId?: string };

export interface Authenticator {
  authenticate(req: IncomingMessage, url: URL): Promise<AuthContext>;
  /** Forgets cached lookups (after a key is revoked). */
  clearCache(): void;
}

/** Pulls the key out of the request; query `api_key` exists because browsers' EventSource cannot set headers. */
export function readApiKey(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers.authorization;
  if (typeof header === 'string') {
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (match) return match[1]!.trim();
  }
  const x = req.headers['x-api-key'];
  if (typeof x === 'string' && x.length > 0) return x.trim();
  return url.searchParams.get('api_key') ?? undefined;
}

/**
 * Resolves API keys to tenants. Lookups are cached for a short time so a burst of stream starts
 * does not queue behind the database; a revoked key stops working within the TTL (or at once after
 * `clearCache`).
 */
export function createAuthenticator(store: TwinStore, auth: AuthMode = { mode: 'api-key' }): Authenticator {
  if (auth.mode === 'off') {
    const context: AuthContext = { tenantId: auth.tenantId ?? 'dev', apiKeyId: 'dev', role: 'admin' };
    return { authenticate: async () => context, clearCache() {} };
  }
  const ttl = auth.cacheTtlMs ?? 30_000;
  interface Entry {
    context: AuthContext | null;
    expires: number;
    /** A background re-read in flight (stale-while-revalidate). */
    refreshing?: Promise<unknown>;
  }
  const cache = new Map<string, Entry>();
  const lookup = async (hash: string): Promise<Entry> => {
    const row = await store.findApiKeyByHash(hash);
    const context: AuthContext | null = row && !row.revokedAt ? authContextOf(row) : null;
    const entry: Entry = { context, expires: Date.now() + ttl };
    if (cache.size > 10_000) cache.clear();
    cache.set(hash, entry);
    return entry;
  };
  return {
    async authenticate(req, url) {
      const key = readApiKey(req, url);
      if (!key) throw new TwinError('unauthorized', 'Missing API key: send "Authorization: Bearer <key>".');
      if (key.length > 256) throw new TwinError('unauthorized', 'Invalid API key.');
      const hash = hashApiKey(key);
      let hit = cache.get(hash);
      if (!hit || (hit.expires < Date.now() && !hit.context)) hit = await lookup(hash);
      else if (hit.expires < Date.now() && !hit.refreshing) {
        // A known-good key keeps answering from memory while it is re-read in the background, so a
        // stream start never waits on the database; a revoked key stops within the TTL plus one read.
        const entry = hit;
        entry.refreshing = lookup(hash).catch(() => {
          entry.refreshing = undefined;
        });
      }
      if (!hit.context) throw new TwinError('unauthorized', 'Invalid or revoked API key.');
      if (hit.context.expiresAt !== undefined && hit.context.expiresAt <= Date.now()) throw new TwinError('unauthorized', 'This API key has expired.');
      return hit.context;
    },
    clearCache() {
      cache.clear();
    },
  };
}

/** A newly created key: `key` is shown once and never stored. */
export interface CreatedApiKey {
  id: string;
  tenantId: string;
  name: string;
  role: ApiKeyRole;
  prefix: string;
  key: string;
}

/** What a new key is: its tenant and, optionally, its label, role, expiry, allow-lists and limits. */
export interface NewApiKey {
  tenantId: string;
  name?: string;
  role?: ApiKeyRole;
  expiresAt?: Date | null;
  allowedModels?: string[] | null;
  allowedProviders?: string[] | null;
  requestsPerMinute?: number | null;
  tokensPerMinute?: number | null;
  rotatedFrom?: string;
}

/** Creates an API key for a tenant and stores its hash. */
export async function createApiKey(store: Pick<TwinStore, 'insertApiKey'>, input: NewApiKey): Promise<CreatedApiKey> {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(input.tenantId)) {
    throw new TwinError('invalid_argument', 'tenantId must be 1-64 characters of A-Z, a-z, 0-9, "_", "." or "-".', { details: { field: 'tenantId' } });
  }
  const key = generateApiKey();
  const id = randomId('key', 9);
  const row = {
    id,
    tenantId: input.tenantId,
    name: input.name ?? 'default',
    keyHash: hashApiKey(key),
    prefix: apiKeyDisplayPrefix(key),
    role: input.role ?? 'member',
    expiresAt: input.expiresAt ?? null,
    allowedModels: input.allowedModels ?? null,
    allowedProviders: input.allowedProviders ?? null,
    requestsPerMinute: input.requestsPerMinute ?? null,
    tokensPerMinute: input.tokensPerMinute ?? null,
    rotatedFrom: input.rotatedFrom ?? null,
  };
  await store.insertApiKey(row);
  return { id, tenantId: row.tenantId, name: row.name, role: row.role, prefix: row.prefix, key };
}
