import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { tables, type OpenedDatabase } from '../src/index';
import { fetchJson, openSSE } from './read-sse';
import { createGatedProvider } from './test-providers';
import { openTestDatabase, startTestServer, type TestServer } from './test-server';

/**
 * SIGTERM's drain (the service part; the CLI wires TWIN_DRAIN_TIMEOUT_MS to it): new streams get
 * 503 + Retry-After and /health says `draining` at once, a client may still resume the streams this
 * instance runs, and those finish normally — or are stopped and billed when the timeout passes.
 */
let db: OpenedDatabase;
beforeAll(async () => {
  db = await openTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

describe('drain', () => {
  let server: TestServer | undefined;
  afterAll(async () => {
    await server?.close();
  });

  it('refuses new streams with 503 + Retry-After and reports draining, lets running streams finish (and resume), and resolves with 0 left', async () => {
    const gated = createGatedProvider(['one ', 'two ', 'three']);
    server = await startTestServer(db, { providers: [gated.provider] });
    const { url, keys, service } = server;
    const auth = { authorization: `Bearer ${keys.t1}` };
    const running = await openSSE(`${url}/api/stream?prompt=hi`, { headers: auth });
    await running.waitFor((e) => e.some((x) => x.event === 'chunk'));
    const streamId = String(running.headers['x-twin-stream-id']);

    let drained: number | undefined;
    const draining = service.drain(60_000).then((n) => (drained = n));
    const refused = await fetch(`${url}/api/stream?prompt=new`, { headers: auth });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('capacity_exceeded');
    const health = await fetchJson(`${url}/health`);
    expect(health.status).toBe(503);
    expect(health.json).toMatchObject({ status: 'draining', activeStreams: 1 });

    // The client's connection drops; its resume is still served here.
    const seen = running.events.length;
    running.close();
    const lastId = running.events[seen - 1]!.id!;
    const resumed = await openSSE(`${url}/api/stream?streamId=${streamId}`, { headers: { ...auth, 'last-event-id': lastId } });
    expect(resumed.status).toBe(200);
    gated.release(1);
    gated.release(2);
    await resumed.done;
    expect(resumed.events.at(-1)?.event).toBe('complete');
    await draining;
    expect(drained).toBe(0);
    await service.store.flush();
    const { json } = await fetchJson(`${url}/api/billing/records`, { key: keys.t1 });
    expect((json.records as Array<{ streamId: string }>).filter((r) => r.streamId === streamId)).toMatchObject([{ state: 'final', endReason: 'complete' }]);
  });

  it('a drain that times out leaves the stream running for shutdown to stop and bill as interrupted', async () => {
    const gated = createGatedProvider(['one ', 'never']);
    const t = await startTestServer(db, { providers: [gated.provider] });
    const auth = { authorization: `Bearer ${t.keys.t1}` };
    const running = await openSSE(`${t.url}/api/stream?prompt=hi`, { headers: auth });
    await running.waitFor((e) => e.some((x) => x.event === 'chunk'));
    const streamId = String(running.headers['x-twin-stream-id']);
    expect(await t.service.drain(20)).toBe(1);
    await t.close();
    await running.done;
    expect(running.events.at(-1)).toMatchObject({ event: 'error' });
    expect(gated.state.aborted).toBe(true);
    const rows = await db.db.select().from(tables.streamBillingRecords).where(eq(tables.streamBillingRecords.streamId, streamId));
    expect(rows).toMatchObject([{ state: 'final', endReason: 'interrupted' }]);
  });
});
