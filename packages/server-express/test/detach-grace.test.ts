import { once } from 'node:events';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Provider, StreamPart } from '@twin/core';
import type { OpenedDatabase } from '../src/index';
import { streamEvents } from '../src/storage/schema';
import { fetchJson, openSSE } from './read-sse';
import { openTestDatabase, startTestServer, type TestServer } from './test-server';

/**
 * Detach, reattach and grace expiry are visible: in the stream's audit events (`stream_events`)
 * and in the Prometheus metrics, and an expired stream is billed `client_abort` once.
 */
let db: OpenedDatabase;
let t: TestServer;
// Answers one part, then nothing until aborted: a stream that outlives its client.
const quiet: Provider = {
  name: 'quiet',
  defaultModel: 'q-1',
  async *stream(_request, options = {}): AsyncGenerator<StreamPart> {
    yield { type: 'text-delta', text: 'hello' };
    const signal = options.signal!;
    if (!signal.aborted) await once(signal, 'abort');
    yield { type: 'error', error: { code: 'aborted', message: 'aborted', retryable: false }, usage: { inputTokens: 1, outputTokens: 1 } };
  },
};

beforeAll(async () => {
  db = await openTestDatabase();
  // The resume below must come back within the grace: 10 s covers a loaded machine's round trips.
  t = await startTestServer(db, { providers: [quiet], service: { detachGraceMs: 10_000 } });
});
afterAll(async () => {
  await t.close();
  await db.close();
});

const metric = async (name: string) => {
  const line = (await (await fetch(`${t.url}/metrics`)).text()).split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : 0;
};
const auditTypes = async (streamId: string) => {
  await t.store.flush();
  const rows = await t.store.db.select().from(streamEvents).where(eq(streamEvents.streamId, streamId));
  return rows.map((r) => r.type);
};

describe('detach grace', () => {
  it('a dropped connection detaches (stream runs on), a resume reattaches it; nobody back: it expires and is billed client_abort', async () => {
    const auth = { authorization: `Bearer ${t.keys.t1}` };
    const first = await openSSE(`${t.url}/api/stream?prompt=x`, { headers: auth });
    await first.waitFor((e) => e.some((x) => x.event === 'chunk'));
    const streamId = first.events[0]!.json.streamId as string;
    first.close();
    await expect.poll(() => metric('twin_detaches_total')).toBe(1);
    expect(t.service.hub.activeStreams).toBe(1);
    expect(t.service.hub.openConnections).toBe(0);

    const back = await openSSE(`${t.url}/api/stream?prompt=x&api_key=${encodeURIComponent(t.keys.t1)}`, { headers: { 'last-event-id': first.events.at(-1)!.id! } });
    expect(back.status).toBe(200);
    await expect.poll(() => metric('twin_resumes_total')).toBe(1);
    back.close();
    await expect.poll(() => metric('twin_detaches_total')).toBe(2);

    await expect.poll(() => metric('twin_detach_expired_total'), { timeout: 60_000 }).toBe(1);
    await expect
      .poll(async () => (await fetchJson(`${t.url}/api/billing/records`, { key: t.keys.t1 })).json.records.filter((r: { streamId: string; state: string }) => r.streamId === streamId && r.state === 'final').map((r: { endReason: string }) => r.endReason))
      .toEqual(['client_abort']);
    expect(await auditTypes(streamId)).toEqual(expect.arrayContaining(['stream.start', 'stream.detach', 'stream.resume', 'stream.detach_expired']));
    expect(t.service.hub.activeStreams).toBe(0);
  }, 120_000);
});
