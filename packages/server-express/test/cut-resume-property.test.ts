import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulatedProvider } from '@twin/core';
import type { OpenedDatabase } from '../src/index';
import { fetchJson, openSSE, type ReceivedEvent } from './read-sse';
import { openTestDatabase, startTestServer, type TestServer } from './test-server';

/**
 * Cut-and-resume with the DEFAULT configuration (detach grace on, protocol-2 ids): a stream cut
 * after any number of events, any number of times, and resumed each time from the url that started
 * it with the last `id:` received (what a native EventSource does) or with `?streamId=` and a bare
 * seq (what @twin/client does), delivers exactly the uncut stream's events: none lost, none twice,
 * one stream, one bill.
 */
let db: OpenedDatabase;
let t: TestServer;
beforeAll(async () => {
  db = await openTestDatabase();
  t = await startTestServer(db, { providers: [createSimulatedProvider({ tokensPerSecond: 150, outputTokens: 30 })] });
});
afterAll(async () => {
  await t.close();
  await db.close();
});

const chunkText = (events: ReceivedEvent[]) => events.filter((e) => e.event === 'chunk').map((e) => e.json.text as string).join('');

describe('cut and resume (default configuration)', () => {
  it('any cuts, resumed either way, give exactly the uncut stream', async () => {
    expect(t.service.hub).toBeDefined();
    const uncut = new Map<string, string>();
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 3 }),
        fc.array(fc.record({ after: fc.integer({ min: 1, max: 6 }), native: fc.boolean() }), { minLength: 1, maxLength: 3 }),
        async (promptNo, cuts) => {
          const prompt = `cut+resume+${promptNo}`;
          if (!uncut.has(prompt)) {
            const whole = await openSSE(`${t.url}/api/stream?prompt=${prompt}`, { headers: { authorization: `Bearer ${t.keys.t1}` } });
            await whole.done;
            uncut.set(prompt, chunkText(whole.events));
          }
          const url = `${t.url}/api/stream?prompt=${prompt}&api_key=${encodeURIComponent(t.keys.t1)}`;
          const got: ReceivedEvent[] = [];
          let reader = await openSSE(url);
          for (const cut of cuts) {
            const have = got.length;
            await reader.waitFor((e) => e.length >= cut.after || e.at(-1)?.event === 'complete');
            reader.close();
            got.push(...reader.events);
            if (got.at(-1)?.event === 'complete') break;
            const streamId = got[0]!.json.streamId as string;
            const lastId = got.at(-1)?.id;
            reader = cut.native || lastId === undefined || have === got.length
              ? await openSSE(url, { headers: lastId ? { 'last-event-id': lastId } : {} })
              : await openSSE(`${t.url}/api/stream?streamId=${streamId}`, { headers: { authorization: `Bearer ${t.keys.t1}`, 'last-event-id': String(got.at(-1)!.json.seq) } });
          }
          if (got.at(-1)?.event !== 'complete') {
            await reader.done;
            got.push(...reader.events);
          }
          const streamId = got[0]!.json.streamId as string;
          expect(got.map((e) => e.id)).toEqual(got.map((_, i) => `${streamId}:${i}`));
          expect(got.at(-1)!.event).toBe('complete');
          expect(chunkText(got)).toBe(uncut.get(prompt));
          await t.store.flush();
          const records = (await fetchJson(`${t.url}/api/billing/records?limit=1000`, { key: t.keys.t1 })).json.records as Array<{ streamId: string }>;
          expect(records.filter((r) => r.streamId === streamId)).toHaveLength(1);
        },
      ),
      { numRuns: 15 },
    );
  }, 240_000);
});
