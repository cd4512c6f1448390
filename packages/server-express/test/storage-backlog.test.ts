import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpenedDatabase } from '../src/index';
import { fetchJson, openSSE } from './read-sse';
import { openTestDatabase, startTestServer, type TestServer } from './test-server';

let db: OpenedDatabase;
let t: TestServer;
beforeAll(async () => {
  db = await openTestDatabase();
  t = await startTestServer(db, { service: { maxStorageBacklog: 5 } });
});
afterAll(async () => {
  await t.close();
  await db.close();
});

describe('storage backlog', () => {
  it('refuses new streams with 503 + Retry-After while the database is behind, and takes them again once it caught up', async () => {
    // The key and the tenant's budgets are read once and then served from memory, as in production.
    const first = await openSSE(`${t.url}/api/stream?prompt=warm`, { headers: { authorization: `Bearer ${t.keys.t1}` } });
    expect(first.status).toBe(200);
    first.close();
    await t.store.flush();
    // A slow database: a transaction holds the embedded database's one connection, so the audit
    // writes queue up behind it (queued rows are kept, never dropped).
    let release!: () => void;
    let started!: () => void;
    const begun = new Promise<void>((r) => (started = r));
    const held = db.db.transaction(async (tx) => {
      await tx.execute(sql`select 1`);
      started();
      await new Promise<void>((r) => (release = r));
    });
    await begun;
    for (let seq = 0; seq < 10; seq++) {
      t.store.chunks.push({ streamId: 'str_backlog', seq, tenantId: 'backlog', event: 'chunk', data: '{"v":1}', bytes: 7, createdAt: new Date() });
    }
    let refused;
    try {
      expect(t.store.chunks.pending).toBeGreaterThanOrEqual(10);
      refused = await fetchJson(`${t.url}/api/stream?prompt=behind`, { key: t.keys.t1 });
    } finally {
      release();
      await held;
    }
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(refused.json.error.code).toBe('capacity_exceeded');
    expect(refused.json.error.message).toMatch(/storage is behind \(\d+ rows waiting, limit 5\)/);

    await t.store.chunks.flush();
    expect(t.store.chunks.pending).toBe(0);
    const again = await openSSE(`${t.url}/api/stream?prompt=caught+up`, { headers: { authorization: `Bearer ${t.keys.t1}` } });
    expect(again.status).toBe(200);
    again.close();
    const metrics = await (await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${t.keys.admin}` } })).text();
    expect(metrics).toMatch(/twin_rejected_total\{reason="storage_backlog"\} 1/);
  });
});
