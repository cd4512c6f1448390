import { createSimulatedProvider, estimateInputTokens } from '@twin/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpenedDatabase } from '../src/index';
import { openPostgresTestDatabase, postgresReachable } from './postgres-test-database';
import { fetchJson, openSSE } from './read-sse';
import { openTestDatabase, startTestServer, type TestServer } from './test-server';

const pgUp = await postgresReachable();
if (!pgUp && process.env.CI === 'true') throw new Error('Postgres is required under CI=true (127.0.0.1:5432).');

const countTokens = (t: string) => Math.ceil(t.length / 4);

describe.each([
  ['PGlite', openTestDatabase],
  ['Postgres', openPostgresTestDatabase],
] as const)('gateway keys and limits on %s', (name, open) => {
  let db: OpenedDatabase;
  let t: TestServer;
  // The rate limiter's clock: tests move it to window boundaries.
  let now = 1_800_000_000_000;
  beforeAll(async () => {
    if (name === 'Postgres' && !pgUp) return;
    db = await open();
    t = await startTestServer(db, {
      providers: [createSimulatedProvider({ tokensPerSecond: 0, outputTokens: 12 })],
      service: { now: () => now, cors: { origins: ['http://app.test'] } },
    });
  });
  afterAll(async () => {
    await t?.close();
    await db?.close();
  });
  const run = name === 'Postgres' && !pgUp ? it.skip : it;

  const stream = async (key: string, query = 'prompt=Hello', headers: Record<string, string> = {}) => {
    const r = await openSSE(`${t.url}/api/stream?${query}`, { headers: { authorization: `Bearer ${key}`, ...headers } });
    await r.done;
    return r;
  };

  run('manages keys over HTTP: admins any tenant, tenant admins their own, members none; rotate and revoke take effect at once', async () => {
    const tenant = `acme-${name}`;
    const ta = await fetchJson(`${t.url}/api/keys`, { method: 'POST', key: t.keys.admin, body: { tenantId: tenant, role: 'tenant-admin', name: 'acme admin' } });
    expect(ta.status).toBe(201);
    expect(ta.json).toMatchObject({ tenantId: tenant, role: 'tenant-admin', name: 'acme admin', status: 'active', key: expect.stringMatching(/^twin_sk_/) });

    const member = await fetchJson(`${t.url}/api/keys`, { method: 'POST', key: ta.json.key, body: { name: 'ci', allowedProviders: ['simulated'], requestsPerMinute: 100 } });
    expect(member.status).toBe(201);
    expect(member.json).toMatchObject({ tenantId: tenant, role: 'member', requestsPerMinute: 100 });
    // Usable at once (no restart, no cache to wait for).
    expect((await stream(member.json.key)).status).toBe(200);

    expect((await fetchJson(`${t.url}/api/keys`, { method: 'POST', key: ta.json.key, body: { role: 'admin' } })).status).toBe(403);
    expect((await fetchJson(`${t.url}/api/keys`, { method: 'POST', key: ta.json.key, body: { tenantId: 'other' } })).status).toBe(403);
    expect((await fetchJson(`${t.url}/api/keys`, { key: member.json.key })).status).toBe(403);
    const listed = await fetchJson(`${t.url}/api/keys`, { key: ta.json.key });
    expect(listed.json.keys.map((k: { id: string }) => k.id).sort()).toEqual([ta.json.id, member.json.id].sort());
    expect(JSON.stringify(listed.json)).not.toMatch(/twin_sk_[\w-]{20}/); // never a secret in a list
    // Another tenant's key is invisible to a tenant admin.
    const adminKeyId = (await fetchJson(`${t.url}/api/keys`, { key: t.keys.admin })).json.keys.find((k: { role: string }) => k.role === 'admin').id;
    expect((await fetchJson(`${t.url}/api/keys/${adminKeyId}`, { key: ta.json.key })).status).toBe(404);

    const rotated = await fetchJson(`${t.url}/api/keys/${member.json.id}/rotate`, { method: 'POST', key: ta.json.key, body: {} });
    expect(rotated.status).toBe(201);
    expect(rotated.json).toMatchObject({ rotatedFrom: member.json.id, requestsPerMinute: 100, allowedProviders: ['simulated'], replaced: { status: 'revoked' } });
    expect((await stream(member.json.key)).status).toBe(401);
    expect((await stream(rotated.json.key)).status).toBe(200);

    const revoked = await fetchJson(`${t.url}/api/keys/${rotated.json.id}`, { method: 'DELETE', key: ta.json.key });
    expect(revoked.json).toMatchObject({ status: 'revoked', revoked: true });
    expect((await stream(rotated.json.key)).status).toBe(401);

    const expired = await fetchJson(`${t.url}/api/keys`, { method: 'POST', key: ta.json.key, body: { expiresAt: '2020-01-01T00:00:00Z' } });
    expect(expired.json.status).toBe('expired');
    const refused = await fetchJson(`${t.url}/api/stream/active`, { key: expired.json.key });
    expect(refused.json.error.message).toMatch(/expired/);

    const limited = await fetchJson(`${t.url}/api/keys`, { method: 'POST', key: ta.json.key, body: { allowedModels: ['simulated/sim-1'] } });
    expect((await stream(limited.json.key, 'prompt=Hi&model=sim-2')).status).toBe(403);
    expect((await stream(limited.json.key, 'prompt=Hi&model=sim-1')).status).toBe(200);
  });

  run('admits exactly requestsPerMinute in a window, then 429 with Retry-After and x-ratelimit headers, and again at the next window', async () => {
    now = Math.ceil(now / 60_000) * 60_000 + 59_000; // one second before a window ends
    const key = await fetchJson(`${t.url}/api/keys`, { method: 'POST', key: t.keys.admin, body: { tenantId: `rpm-${name}`, requestsPerMinute: 2 } });
    const a = await stream(key.json.key);
    expect([a.status, a.headers['x-ratelimit-limit-requests'], a.headers['x-ratelimit-remaining-requests'], a.headers['x-ratelimit-reset-requests']]).toEqual([200, '2', '1', '1s']);
    const b = await stream(key.json.key);
    expect([b.status, b.headers['x-ratelimit-remaining-requests']]).toEqual([200, '0']);
    now += 999; // the window's last millisecond
    const c = await fetchJson(`${t.url}/api/stream?prompt=x`, { key: key.json.key });
    expect(c.status).toBe(429);
    expect(c.headers.get('retry-after')).toBe('1');
    expect(c.headers.get('x-ratelimit-reset-requests')).toBe('1ms');
    expect(c.json).toMatchObject({ error: { code: 'rate_limited', retryable: true }, details: { limit: 'requests_per_minute', scope: 'key' } });
    now += 1; // the next window's first millisecond
    expect((await stream(key.json.key)).headers['x-ratelimit-remaining-requests']).toBe('1');
  });

  run('admits tokens up to tokensPerMinute exactly (the estimate, settled with real usage), a limit changed over HTTP applies at once', async () => {
    now = Math.ceil(now / 60_000) * 60_000 + 1_000;
    const tenant = `tpm-${name}`;
    const key = await fetchJson(`${t.url}/api/keys`, { method: 'POST', key: t.keys.admin, body: { tenantId: tenant, tokensPerMinute: 1_000 } });
    const estimate = estimateInputTokens({ messages: [{ role: 'user', content: 'Hello' }] }, countTokens) + 50;
    const a = await stream(key.json.key, 'prompt=Hello&maxTokens=50');
    expect(a.headers['x-ratelimit-remaining-tokens']).toBe(String(1_000 - estimate));
    await t.store.flush();
    const record = (await fetchJson(`${t.url}/api/billing/records`, { key: key.json.key })).json.records[0];
    const used = record.inputTokens + record.outputTokens; // what the stream really used replaced its estimate
    expect(used).toBeLessThan(estimate);
    // Exactly enough left for one more request of the same estimate.
    await fetchJson(`${t.url}/api/keys/${key.json.id}`, { method: 'PATCH', key: t.keys.admin, body: { tokensPerMinute: used + estimate } });
    const b = await stream(key.json.key, 'prompt=Hello&maxTokens=50');
    expect([b.status, b.headers['x-ratelimit-limit-tokens'], b.headers['x-ratelimit-remaining-tokens']]).toEqual([200, String(used + estimate), '0']);
    const c = await fetchJson(`${t.url}/api/stream?prompt=Hello&maxTokens=50`, { key: key.json.key });
    expect(c.status).toBe(429);
    expect(c.json.details).toEqual({ limit: 'tokens_per_minute', scope: 'key' });
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/twin_rejected_total\{reason="rate_limit_tokens"\} [1-9]/);
  });

  run('applies a tenant limit over all its keys, set over HTTP by an admin only', async () => {
    now = Math.ceil(now / 60_000) * 60_000 + 1_000;
    const tenant = `tenant-rpm-${name}`;
    const [k1, k2] = await Promise.all([1, 2].map(async () => (await fetchJson(`${t.url}/api/keys`, { method: 'POST', key: t.keys.admin, body: { tenantId: tenant } })).json.key as string));
    expect((await fetchJson(`${t.url}/api/tenants/${tenant}/limits`, { method: 'PUT', key: k1!, body: { requestsPerMinute: 1 } })).status).toBe(403);
    expect((await fetchJson(`${t.url}/api/tenants/${tenant}/limits`, { method: 'PUT', key: t.keys.admin, body: { requestsPerMinute: 1 } })).json).toEqual({ tenantId: tenant, requestsPerMinute: 1, tokensPerMinute: null });
    expect((await stream(k1!)).status).toBe(200);
    const second = await fetchJson(`${t.url}/api/stream?prompt=x`, { key: k2! });
    expect([second.status, second.json.details?.scope]).toEqual([429, 'tenant']);
  });

  run('counts a budget refusal (402) in twin_rejected_total', async () => {
    const tenant = `broke-${name}`;
    const admin = (await fetchJson(`${t.url}/api/keys`, { method: 'POST', key: t.keys.admin, body: { tenantId: tenant, role: 'tenant-admin' } })).json.key;
    await fetchJson(`${t.url}/api/billing/budgets`, { method: 'PUT', key: admin, body: { period: 'month', limit: '0', currency: 'USD', action: 'block', alertAtPercent: [100] } });
    const refused = await fetchJson(`${t.url}/api/stream?prompt=x`, { key: admin });
    expect([refused.status, refused.json.error.code]).toEqual([402, 'budget_exceeded']);
    expect(await (await fetch(`${t.url}/metrics`)).text()).toMatch(/twin_rejected_total\{reason="budget"\} [1-9]/);
  });

  run('answers CORS preflights for allowed origins only, credentials off', async () => {
    const preflight = await fetch(`${t.url}/api/stream`, { method: 'OPTIONS', headers: { origin: 'http://app.test', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://app.test');
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();
    const other = await fetch(`${t.url}/api/stream`, { method: 'OPTIONS', headers: { origin: 'http://evil.test', 'access-control-request-method': 'POST' } });
    expect(other.status).toBe(403);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const get = await stream(t.keys.t1, 'prompt=Hi', { origin: 'http://app.test' });
    expect(get.headers['access-control-allow-origin']).toBe('http://app.test');
    expect(get.headers['access-control-expose-headers']).toMatch(/X-Twin-Stream-Id/);
  });
});
