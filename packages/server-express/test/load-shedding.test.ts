import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpenedDatabase } from '../src/index';
import { fetchJson, openSSE } from './read-sse';
import { openTestDatabase, startTestServer, type TestServer } from './test-server';

let db: OpenedDatabase;
let t: TestServer;
beforeAll(async () => {
  db = await openTestDatabase();
  t = await startTestServer(db, { service: { maxEventLoopLagMs: 150 } });
});
afterAll(async () => {
  await t.close();
  await db.close();
});

/** Holds the event loop, as a server too busy to keep its streams on time does. */
function busy(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // spin
  }
}

describe('load shedding on event-loop lag', () => {
  it('refuses new streams with 503 + Retry-After while the event loop is behind, and takes them again once it caught up', async () => {
    const first = await openSSE(`${t.url}/api/stream?prompt=warm`, { headers: { authorization: `Bearer ${t.keys.t1}` } });
    expect(first.status).toBe(200);
    first.close();

    busy(600);
    const refused = await fetchJson(`${t.url}/api/stream?prompt=behind`, { key: t.keys.t1 });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(refused.json.error.code).toBe('capacity_exceeded');
    expect(refused.json.error.message).toMatch(/event loop is \d+ ms behind, limit 150/);

    // A quiet loop: the next windows measure no lag, and streams are accepted again.
    let status = 0;
    for (let i = 0; i < 40 && status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const again = await openSSE(`${t.url}/api/stream?prompt=caught+up`, { headers: { authorization: `Bearer ${t.keys.t1}` } });
      status = again.status;
      again.close();
    }
    expect(status).toBe(200);
  });
});
