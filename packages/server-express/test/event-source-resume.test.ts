import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulatedProvider } from '@twin/core';
import type { OpenedDatabase } from '../src/index';
import type { AuthContext } from '../src/auth/authenticator';
import { fetchJson, openSSE, type ReceivedEvent } from './read-sse';
import { openTestDatabase, startTestServer, type TestServer } from './test-server';

/**
 * What a browser's native EventSource does, over real sockets: it reconnects to the SAME url (the
 * one that started the stream, prompt and all) with `Last-Event-ID` set to the last `id:` it saw.
 * With the default configuration (detach grace on), that must continue the same stream exactly; after
 * the end it must get 204 (EventSource stops), never a second stream or bill.
 */
let db: OpenedDatabase;
let t: TestServer;
beforeAll(async () => {
  db = await openTestDatabase();
  t = await startTestServer(db, {
    providers: [createSimulatedProvider({ tokensPerSecond: 100, outputTokens: 40 })],
    // Finished streams are forgotten at the first sweep (≤ 1 s): the 204 then comes from the stored record.
    service: { stream: { timeouts: { resumeGraceMs: 0 } } },
  });
});
afterAll(async () => {
  await t.close();
  await db.close();
});

const key = () => `api_key=${encodeURIComponent(t.keys.t1)}`;
const text = (events: ReceivedEvent[]) => events.filter((e) => e.event === 'chunk').map((e) => e.json.text as string).join('');
const recordsOf = async (streamId?: string) => {
  await t.store.flush();
  const all = (await fetchJson(`${t.url}/api/billing/records?limit=500`, { key: t.keys.t1 })).json.records as Array<{ streamId: string; tenantId: string }>;
  return streamId ? all.filter((r) => r.streamId === streamId) : all;
};

describe('native EventSource resume (Last-Event-ID = <streamId>:<seq>)', () => {
  it('is on by default: a cut stream resumed from the same url continues exactly, one stream, one bill', async () => {
    const url = `${t.url}/api/stream?prompt=native+resume&${key()}`;
    const first = await openSSE(url);
    await first.waitFor((e) => e.filter((x) => x.event === 'chunk').length >= 4);
    first.close();
    const streamId = first.events[0]!.json.streamId as string;
    const lastId = first.events.at(-1)!.id!;
    expect(lastId).toBe(`${streamId}:${first.events.length - 1}`);

    const second = await openSSE(url, { headers: { 'last-event-id': lastId } });
    expect(second.status).toBe(200);
    expect(second.headers['x-twin-stream-id']).toBe(streamId);
    await second.done;
    const all = [...first.events, ...second.events];
    expect(all.map((e) => e.id)).toEqual(all.map((_, i) => `${streamId}:${i}`));
    expect(all.at(-1)!.event).toBe('complete');

    const whole = await openSSE(`${t.url}/api/stream?prompt=native+resume&${key()}`);
    await whole.done;
    expect(text(all)).toBe(text(whole.events));
    await expect.poll(async () => (await recordsOf(streamId)).length).toBe(1);
  });

  it('answers 204 to a reconnect after the end, while the stream is kept and once it is forgotten: no new stream, no new bill', async () => {
    const url = `${t.url}/api/stream?prompt=finished&${key()}`;
    const r = await openSSE(url);
    await r.done;
    const streamId = r.events[0]!.json.streamId as string;
    const lastId = r.events.at(-1)!.id!;
    const [record] = await recordsOf(streamId);
    const before = (await recordsOf()).length;
    const started = await streamsStarted();

    const kept = await openSSE(url, { headers: { 'last-event-id': lastId } });
    expect(kept.status).toBe(204);
    await expect.poll(() => t.service.hub.get({ tenantId: record!.tenantId } as AuthContext, streamId), { timeout: 30_000 }).toBeUndefined();
    const forgotten = await openSSE(url, { headers: { 'last-event-id': lastId } });
    expect(forgotten.status).toBe(204);
    expect(await streamsStarted()).toBe(started);
    expect((await recordsOf()).length).toBe(before);
    expect(await recordsOf(streamId)).toHaveLength(1);
  });

  it('refuses what it cannot resume: an unknown stream 404, another tenant\'s 404, an id naming another stream than streamId 400', async () => {
    const r = await openSSE(`${t.url}/api/stream?prompt=mine&${key()}`);
    await r.done;
    const streamId = r.events[0]!.json.streamId as string;
    const unknown = await openSSE(`${t.url}/api/stream?prompt=x&${key()}`, { headers: { 'last-event-id': 'str_doesnotexist00:3' } });
    expect(unknown.status).toBe(404);
    const other = await openSSE(`${t.url}/api/stream?prompt=x&api_key=${encodeURIComponent(t.keys.t2)}`, { headers: { 'last-event-id': `${streamId}:1` } });
    expect(other.status).toBe(404);
    const mismatch = await openSSE(`${t.url}/api/stream?streamId=str_other&${key()}`, { headers: { 'last-event-id': `${streamId}:1` } });
    expect(mismatch.status).toBe(400);
    expect(await streamsStarted()).toBeGreaterThan(0);
  });
});

async function streamsStarted(): Promise<number> {
  const text = await (await fetch(`${t.url}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('twin_streams_started_total{'))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
}
