import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulatedProvider } from '@twin/core';
import type { OpenedDatabase } from '../src/index';
import { openSSE, type ReceivedEvent } from './read-sse';
import { openTestDatabase, startTestServer, type TestServer } from './test-server';

let db: OpenedDatabase;
let t: TestServer;
beforeAll(async () => {
  db = await openTestDatabase();
  // A grace period keeps the provider running while the client reconnects.
  t = await startTestServer(db, {
    providers: [createSimulatedProvider({ tokensPerSecond: 100, outputTokens: 60 })],
    service: { detachGraceMs: 30_000 },
  });
});
afterAll(async () => {
  await t.close();
  await db.close();
});

const auth = () => ({ authorization: `Bearer ${t.keys.t1}` });
const text = (events: ReceivedEvent[]) => events.filter((e) => e.event === 'chunk').map((e) => e.json.text as string).join('');

describe('resume with Last-Event-ID', () => {
  it('continues a running stream with no gap and no duplicate', async () => {
    const first = await openSSE(`${t.url}/api/stream?prompt=resume+me`, { headers: auth() });
    await first.waitFor((e) => e.filter((x) => x.event === 'chunk').length >= 5);
    first.close();
    const got = [...first.events];
    const streamId = (got[0]!.json as { streamId: string }).streamId;
    const lastId = got.at(-1)!.id;

    const second = await openSSE(`${t.url}/api/stream?streamId=${streamId}`, { headers: { ...auth(), 'last-event-id': lastId! } });
    await second.done;
    expect(second.events[0]!.event).not.toBe('resync');
    const all = [...got, ...second.events];
    expect(all.map((e) => e.json.seq)).toEqual(all.map((_, i) => i));
    expect(all.map((e) => e.id)).toEqual(all.map((_, i) => `${streamId}:${i}`));
    expect(all.at(-1)!.event).toBe('complete');

    // The same request again without a break gives exactly the same text.
    const whole = await openSSE(`${t.url}/api/stream?prompt=resume+me`, { headers: auth() });
    await whole.done;
    expect(text(all)).toBe(text(whole.events));
  });

  it('replays a finished stream from any position while it is in its resume grace', async () => {
    const r = await openSSE(`${t.url}/api/stream?prompt=done`, { headers: auth() });
    await r.done;
    const streamId = (r.events[0]!.json as { streamId: string }).streamId;
    const again = await openSSE(`${t.url}/api/stream?streamId=${streamId}&lastEventId=2`, { headers: auth() });
    await again.done;
    expect(again.events.map((e) => e.id)).toEqual(r.events.slice(3).map((e) => e.id));
    expect(again.events.map((e) => e.data)).toEqual(r.events.slice(3).map((e) => e.data));
  });

  it('answers 404 for an unknown stream id and 400 for a malformed Last-Event-ID', async () => {
    const missing = await openSSE(`${t.url}/api/stream?streamId=str_nope`, { headers: { ...auth(), 'last-event-id': '3' } });
    expect(missing.status).toBe(404);
    const r = await openSSE(`${t.url}/api/stream?prompt=x`, { headers: auth() });
    await r.done;
    const streamId = (r.events[0]!.json as { streamId: string }).streamId;
    const bad = await openSSE(`${t.url}/api/stream?streamId=${streamId}`, { headers: { ...auth(), 'last-event-id': 'abc' } });
    expect(bad.status).toBe(400);
  });
});
