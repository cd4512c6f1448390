import { parseArgs } from 'node:util';
import { TwinError } from '@twin/core';
import type { AuthContext } from '../auth/authenticator';
import {
  createKeyAs,
  createKeyBodySchema,
  listKeysAs,
  publicKey,
  revokeKeyAs,
  rotateKeyAs,
  updateKeyAs,
  updateKeyBodySchema,
} from '../auth/key-admin';
import type { PublicApiKey } from '../admin/admin-api-types';
import { validate } from '../http/http-util';
import { createApiKeyAdminStore, type ApiKeyAdminStore } from '../storage/api-key-admin-store';
import { acquireDataDirLock } from '../storage/data-dir-lock';
import { openDatabase } from '../storage/open-database';
import { callServer, findRunningServer, type RunningServer } from './running-server';
import { pgliteDir, type ServerEnv } from './server-config';

/** The key operations, run over HTTP against a running server or on the database directly. */
interface KeyBackend {
  readonly where: string;
  list(tenant?: string): Promise<PublicApiKey[]>;
  create(body: unknown): Promise<PublicApiKey & { key: string }>;
  update(id: string, body: unknown): Promise<PublicApiKey>;
  revoke(id: string): Promise<PublicApiKey & { revoked: boolean }>;
  rotate(id: string, graceSeconds: number): Promise<PublicApiKey & { key: string }>;
  close(): Promise<void>;
}

function httpBackend(server: RunningServer): KeyBackend {
  const call = <T>(method: string, path: string, body?: unknown) => callServer<T>(server, method, path, body);
  return {
    where: server.url,
    list: async (tenant) => (await call<{ keys: PublicApiKey[] }>('GET', `/api/keys${tenant ? `?tenant=${encodeURIComponent(tenant)}` : ''}`)).keys,
    create: (body) => call('POST', '/api/keys', body),
    update: (id, body) => call('PATCH', `/api/keys/${encodeURIComponent(id)}`, body),
    revoke: (id) => call('DELETE', `/api/keys/${encodeURIComponent(id)}`),
    rotate: (id, graceSeconds) => call('POST', `/api/keys/${encodeURIComponent(id)}/rotate`, { graceSeconds }),
    close: async () => undefined,
  };
}

// The CLI on the database itself acts as the operator (whoever can open the database owns it).
const OPERATOR: AuthContext = { tenantId: 'dev', apiKeyId: 'cli', role: 'admin' };

async function directBackend(env: ServerEnv): Promise<KeyBackend> {
  const lock = env.DATABASE_URL ? undefined : acquireDataDirLock(pgliteDir(env), 'keys');
  const db = await openDatabase(env.DATABASE_URL ? { url: env.DATABASE_URL, ...(env.TWIN_DB_SCHEMA ? { schemaName: env.TWIN_DB_SCHEMA } : {}) } : { dataDir: pgliteDir(env) });
  const keys: ApiKeyAdminStore = createApiKeyAdminStore(db.db);
  return {
    where: db.location,
    list: async (tenant) => (await listKeysAs(keys, OPERATOR, tenant)).map((r) => publicKey(r)),
    async create(body) {
      const { row, key } = await createKeyAs(keys, OPERATOR, validate(createKeyBodySchema, body, 'arguments'));
      return { ...publicKey(row), key };
    },
    update: async (id, body) => publicKey(await updateKeyAs(keys, OPERATOR, id, validate(updateKeyBodySchema, body, 'arguments'))),
    async revoke(id) {
      const { row, revoked } = await revokeKeyAs(keys, OPERATOR, id);
      return { ...publicKey(row), revoked };
    },
    async rotate(id, graceSeconds) {
      const { row, key } = await rotateKeyAs(keys, OPERATOR, id, graceSeconds);
      return { ...publicKey(row), key };
    },
    async close() {
      await db.close();
      lock?.release();
    },
  };
}

/** Where `twin-server keys` sends its work: a running server over HTTP, else the database itself. */
async function backendFor(env: ServerEnv, vars: Record<string, string | undefined>, flags: { url?: string; adminKey?: string }): Promise<KeyBackend> {
  const server = findRunningServer(env, vars, flags, 'manage keys');
  return server ? httpBackend(server) : directBackend(env);
}

const list = (value: string | undefined) => (value === undefined ? undefined : value === '' ? null : value.split(',').map((s) => s.trim()).filter(Boolean));
const int = (name: string, value: string | undefined) => {
  if (value === undefined) return undefined;
  if (value === 'none') return null;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw new TwinError('invalid_argument', `--${name} must be a positive integer (or "none").`);
  return n;
};
/** `30d`, `12h`, `15m`, `90s` or plain seconds. */
function seconds(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+)([smhd]?)$/.exec(value.trim());
  if (!m) throw new TwinError('invalid_argument', '--expires-in must look like 30d, 12h, 15m, 90s or a number of seconds.');
  return Number(m[1]) * { '': 1, s: 1, m: 60, h: 3_600, d: 86_400 }[m[2]!]!;
}

function line(k: PublicApiKey): string {
  const limits = [k.requestsPerMinute ? `${k.requestsPerMinute} rpm` : '', k.tokensPerMinute ? `${k.tokensPerMinute} tpm` : ''].filter(Boolean).join(' ');
  return [k.id, k.tenantId, k.role, `${k.prefix}…`, k.name, k.status, k.expiresAt ? `expires ${k.expiresAt}` : '', limits].filter(Boolean).join('\t');
}

/** `twin-server keys <create|list|update|revoke|rotate>`; returns the exit code. */
export async function keysCommand(sub: string | undefined, args: string[], env: ServerEnv, vars: Record<string, string | undefined>, out: (text: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      tenant: { type: 'string' },
      name: { type: 'string' },
      role: { type: 'string' },
      'expires-in': { type: 'string' },
      models: { type: 'string' },
      providers: { type: 'string' },
      rpm: { type: 'string' },
      tpm: { type: 'string' },
      grace: { type: 'string' },
      url: { type: 'string' },
      'admin-key': { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  if (!['create', 'list', 'update', 'revoke', 'rotate'].includes(sub ?? '')) return 2;
  const settings = {
    ...(values.name !== undefined ? { name: values.name } : {}),
    ...(values.models !== undefined ? { allowedModels: list(values.models) } : {}),
    ...(values.providers !== undefined ? { allowedProviders: list(values.providers) } : {}),
    ...(values.rpm !== undefined ? { requestsPerMinute: int('rpm', values.rpm) } : {}),
    ...(values.tpm !== undefined ? { tokensPerMinute: int('tpm', values.tpm) } : {}),
  };
  const id = positionals[0];
  if ((sub === 'update' || sub === 'revoke' || sub === 'rotate') && !id) throw new TwinError('invalid_argument', `keys ${sub} needs a key id.`);
  if (sub === 'create' && !values.tenant) throw new TwinError('invalid_argument', 'keys create needs --tenant <id>.');
  const backend = await backendFor(env, vars, { ...(values.url ? { url: values.url } : {}), ...(values['admin-key'] ? { adminKey: values['admin-key'] } : {}) });
  const print = (value: unknown, text: string) => out(values.json ? JSON.stringify(value, null, 2) + '\n' : text);
  try {
    if (sub === 'list') {
      const keys = await backend.list(values.tenant);
      print(keys, keys.map(line).join('\n') + (keys.length ? '\n' : ''));
    } else if (sub === 'create') {
      const expiresIn = seconds(values['expires-in']);
      const created = await backend.create({ tenantId: values.tenant, ...settings, ...(values.role ? { role: values.role } : {}), ...(expiresIn ? { expiresInSeconds: expiresIn } : {}) });
      print(created, `Created ${created.role} key ${created.id} for tenant ${created.tenantId} (via ${backend.where}). Store it now; it is not shown again:\n${created.key}\n`);
    } else if (sub === 'update') {
      const expiresIn = seconds(values['expires-in']);
      const updated = await backend.update(id!, { ...settings, ...(expiresIn ? { expiresAt: new Date(Date.now() + expiresIn * 1000).toISOString() } : {}) });
      print(updated, line(updated) + '\n');
    } else if (sub === 'revoke') {
      const revoked = await backend.revoke(id!);
      print(revoked, revoked.revoked ? `revoked ${id}\n` : `${id} was already revoked\n`);
    } else {
      const rotated = await backend.rotate(id!, seconds(values.grace) ?? 0);
      print(rotated, `Rotated ${id} → ${rotated.id}${values.grace ? ` (the old key works for ${values.grace} more)` : ' (the old key is revoked)'}. Store it now; it is not shown again:\n${rotated.key}\n`);
    }
    return 0;
  } finally {
    await backend.close();
  }
}
