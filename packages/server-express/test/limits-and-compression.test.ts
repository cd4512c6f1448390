import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulatedProvider } from '@twin/core';
import type { OpenedDatabase } from '../src/index';
import { fetchJson, openSSE } from './read-sse';
import { createGatedProvider } from './test-providers';
import { openTestDatabase, startTestServer, type TestServer } from './test-server';

let db: OpenedDatabase;
let t: TestServer;
const gates = {
  gzip: createGatedProvider(['a ', 'b ', 'c ', 'd ']),
  deflate: createGatedProvider(['a ', 'b ', 'c ', 'd ']),
  br: createGatedProvider(['a ', 'b ', 'c ', 'd ']),
};
beforeAll(async () => {
  db = await openTestDatabase();
  t = await startTestServer(db, {
    providers: [
      createSimulatedProvider({ tokensPerSecond: 10, outputTokens: 400 }),
      { ...gates.gzip.provider, name: 'gate-gzip', stream: gates.gzip.provider.stream },
      { ...gates.deflate.provider, name: 'gate-deflate', stream: gates.deflate.provider.stream },
      { ...gates.br.provider, name: 'gate-br', stream: gates.br.provider.stream },
    ],
    service: { stream: { maxConnections: 3, maxConnectionsPerKey: 2 } },
  });
});
afterAll(async () => {
  await t.close();
  await db.close();
});

describe('connection limits', () => {
  it('answers 429 with Retry-After past the per-key limit and 503 past the global limit', async () => {
    const open = [];
    for (let i = 0; i < 2; i++) open.push(await openSSE(`${t.url}/api/stream?prompt=${i}`, { headers: { authorization: `Bearer ${t.keys.t1}` } }));
    const perKey = await fetchJson(`${t.url}/api/stream?prompt=over`, { key: t.keys.t1 });
    expect(perKey.status).toBe(429);
    expect(perKey.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(perKey.json.error.code).toBe('rate_limited');

    open.push(await openSSE(`${t.url}/api/stream?prompt=other`, { headers: { authorization: `Bearer ${t.keys.t2}` } }));
    const global = await fetchJson(`${t.url}/api/stream?prompt=full`, { key: t.keys.admin });
    expect(global.status).toBe(503);
    expect(global.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(global.json.error.code).toBe('capacity_exceeded');

    for (const r of open) r.close();
    // Closed connections free their slots.
    await expect.poll(() => t.service.hub.openConnections, { timeout: 60_000, interval: 20 }).toBe(0);
    const again = await openSSE(`${t.url}/api/stream?prompt=again`, { headers: { authorization: `Bearer ${t.keys.t1}` } });
    expect(again.status).toBe(200);
    again.close();
  });
});

describe('transport compression', () => {
  for (const encoding of ['gzip', 'deflate', 'br'] as const) {
    it(`${encoding}: every event arrives before the provider produces the next (flushed per write)`, async () => {
      await expect.poll(() => t.service.hub.openConnections, { timeout: 60_000, interval: 20 }).toBe(0);
      const gate = gates[encoding];
      const r = await openSSE(`${t.url}/api/stream?provider=gate-${encoding}&prompt=x`, {
        headers: { authorization: `Bearer ${t.keys.t1}`, 'accept-encoding': encoding },
      });
      expect(r.headers['content-encoding']).toBe(encoding);
      // The provider only produces part i+1 after the client has decoded chunk i: a compressor that
      // held bytes back would deadlock here.
      for (let i = 1; i < 4; i++) {
        await r.waitFor((e) => e.filter((x) => x.event === 'chunk').length >= i, 60_000);
        gate.release(i);
      }
      await r.done;
      expect(r.events.filter((e) => e.event === 'chunk').map((e) => e.json.text).join('')).toBe('a b c d ');
      expect(r.events.at(-1)!.event).toBe('complete');
    });
  }

  it('picks identity without Accept-Encoding', async () => {
    await expect.poll(() => t.service.hub.openConnections, { timeout: 60_000, interval: 20 }).toBe(0);
    const r = await openSSE(`${t.url}/api/stream?prompt=plain`, { headers: { authorization: `Bearer ${t.keys.t1}`, 'accept-encoding': 'identity' } });
    expect(r.headers['content-encoding']).toBeUndefined();
    r.close();
  });
});
