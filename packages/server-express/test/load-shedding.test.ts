import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { OpenedDatabase } from '../src/index';
import { monitorEventLoopLag } from '../src/observability/event-loop-lag';
import { fetchJson, openSSE } from './read-sse';
import { openTestDatabase, startTestServer, type TestServer } from './test-server';

let db: OpenedDatabase;
let t: TestServer;
// The lag the hub sees, set by the test: a loaded machine lags on its own, so the real probe is
// tested apart (monitorEventLoopLag below), with a stall far above any load's noise.
let lag = 0;
beforeAll(async () => {
  db = await openTestDatabase();
  t = await startTestServer(db, { service: { maxEventLoopLagMs: 150, eventLoopLagMs: () => lag } });
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

    lag = 600;
    const refused = await fetchJson(`${t.url}/api/stream?prompt=behind`, { key: t.keys.t1 });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(refused.json.error.code).toBe('capacity_exceeded');
    expect(refused.json.error.message).toMatch(/event loop is \d+ ms behind, limit 150/);

    lag = 0;
    const again = await openSSE(`${t.url}/api/stream?prompt=caught+up`, { headers: { authorization: `Bearer ${t.keys.t1}` } });
    expect(again.status).toBe(200);
    again.close();
  });

  it('monitorEventLoopLag sees a stall of the loop', async () => {
    const probe = monitorEventLoopLag(50);
    try {
      // A 3 s stall: far above what any load adds to a 50 ms window.
      await new Promise((r) => setTimeout(r, 60));
      busy(3_000);
      await vi.waitFor(() => expect(probe.ms).toBeGreaterThan(1_000), { timeout: 30_000, interval: 10 });
    } finally {
      probe.stop();
    }
  });
});
