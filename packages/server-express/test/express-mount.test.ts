import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express5 from 'express';
import express4 from 'express4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulatedProvider } from '@twin/core';
import { createApiKey, createTwinRouter, createTwinService, createTwinStore, type OpenedDatabase, type TwinService } from '../src/index';
import { fetchJson, openSSE } from './read-sse';
import { openTestDatabase } from './test-server';

let db: OpenedDatabase;
let service: TwinService;
let key: string;
beforeAll(async () => {
  db = await openTestDatabase();
  const store = createTwinStore(db.db, { batchIntervalMs: 10 });
  service = await createTwinService({ store, providers: [createSimulatedProvider({ tokensPerSecond: 500, outputTokens: 8 })], countTokens: false, processMetrics: false });
  key = (await createApiKey(store, { tenantId: 'express' })).key;
});
afterAll(async () => {
  await service.shutdown(1_000);
  await db.close();
});

for (const [name, express] of [
  ['Express 5', express5],
  ['Express 4', express4],
] as const) {
  describe(name, () => {
    it('streams under a mount path, with and without express.json(), and leaves other routes to the app', async () => {
      const app = (express as typeof express5)();
      app.use(express.json());
      app.use('/twin', createTwinRouter({ service }));
      app.get('/hello', (_req, res) => {
        res.send('app route');
      });
      const server = app.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      try {
        const r = await openSSE(`${base}/twin/api/stream`, { headers: { authorization: `Bearer ${key}` }, body: { messages: [{ role: 'user', content: 'hi' }] } });
        await r.done;
        expect(r.events.at(-1)!.event).toBe('complete');
        const get = await openSSE(`${base}/twin/api/stream?prompt=hi`, { headers: { authorization: `Bearer ${key}` } });
        await get.done;
        expect(get.events.at(-1)!.event).toBe('complete');
        expect((await fetchJson(`${base}/twin/health`)).json.status).toBe('ok');
        expect(await (await fetch(`${base}/hello`)).text()).toBe('app route');
        expect((await fetchJson(`${base}/twin/api/stream`, { method: 'POST', key, body: { messages: [] } })).status).toBe(400);
      } finally {
        server.closeAllConnections();
        server.close();
      }
    });
  });
}
