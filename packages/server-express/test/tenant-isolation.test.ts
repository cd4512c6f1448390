import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulatedProvider } from '@twin/core';
import { createApiKey, type OpenedDatabase } from '../src/index';
import { fetchJson, openSSE } from './read-sse';
import { openTestDatabase, startTestServer, type TestServer } from './test-server';

let db: OpenedDatabase;
let t: TestServer;
beforeAll(async () => {
  db = await openTestDatabase();
  t = await startTestServer(db, { providers: [createSimulatedProvider({ tokensPerSecond: 20, outputTokens: 4_000 })] });
});
afterAll(async () => {
  await t.close();
  await db.close();
});

describe('tenant isolation', () => {
  it('hides a stream from another tenant: no metrics, no close, no resume, not listed, not billed to them (404)', async () => {
    const r = await openSSE(`${t.url}/api/stream?prompt=secret`, { headers: { authorization: `Bearer ${t.keys.t1}` } });
    await r.waitFor((e) => e.some((x) => x.event === 'chunk'));
    const id = (r.events[0]!.json as { streamId: string }).streamId;

    const metrics = await fetchJson(`${t.url}/api/stream/${id}/metrics`, { key: t.keys.t2 });
    expect(metrics.status).toBe(404);
    const del = await fetchJson(`${t.url}/api/stream/${id}`, { method: 'DELETE', key: t.keys.t2 });
    expect(del.status).toBe(404);
    const resume = await openSSE(`${t.url}/api/stream?streamId=${id}`, { headers: { authorization: `Bearer ${t.keys.t2}`, 'last-event-id': '0' } });
    expect(resume.status).toBe(404);
    resume.close();
    const active = await fetchJson(`${t.url}/api/stream/active`, { key: t.keys.t2 });
    expect(active.json.streams).toEqual([]);

    // Still running for its owner after the other tenant's attempts.
    const own = await fetchJson(`${t.url}/api/stream/${id}/metrics`, { key: t.keys.t1 });
    expect(own.status).toBe(200);
    await fetchJson(`${t.url}/api/stream/${id}`, { method: 'DELETE', key: t.keys.t1 });
    await t.store.flush();
    const theirs = await fetchJson(`${t.url}/api/billing/records`, { key: t.keys.t2 });
    expect(theirs.json.records.some((x: { streamId: string }) => x.streamId === id)).toBe(false);
    const mine = await fetchJson(`${t.url}/api/billing/records`, { key: t.keys.t1 });
    expect(mine.json.records.some((x: { streamId: string }) => x.streamId === id)).toBe(true);
  });

  it('refuses requests without a valid key (401) and revoked keys; keys are stored only as hashes', async () => {
    expect((await fetchJson(`${t.url}/api/stream/active`)).status).toBe(401);
    expect((await fetchJson(`${t.url}/api/stream/active`, { key: 'twin_sk_wrong' })).status).toBe(401);
    const created = await createApiKey(t.store, { tenantId: 'revoke-me' });
    expect((await fetchJson(`${t.url}/api/stream/active`, { key: created.key })).status).toBe(200);
    const rows = await t.store.listApiKeys('revoke-me');
    expect(JSON.stringify(rows)).not.toContain(created.key.slice(12));
    await t.store.revokeApiKey(created.id);
    t.service.auth.clearCache();
    expect((await fetchJson(`${t.url}/api/stream/active`, { key: created.key })).status).toBe(401);
  });
});
