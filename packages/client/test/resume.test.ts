import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { streamEvents } from '@twin/client';
import { collect } from './collect';
import { fullText, textScript, type ConnectionPlan } from './scripted-sse-server';
import { scriptedServerPerTest } from './scripted-server-per-test';

const fast = { initialDelayMs: 1, maxDelayMs: 5, maxAttempts: 20 };
const startServer = scriptedServerPerTest();

describe('resume after a cut connection', () => {
  it('loses and repeats no chunk when connections are cut at random byte offsets', async () => {
    const n = 40;
    const script = textScript(n);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ at: fc.integer({ min: 0, max: 900 }), clean: fc.boolean() }), { minLength: 1, maxLength: 5 }),
        async (cuts) => {
          const plans: ConnectionPlan[] = cuts.map((c) => (c.clean ? { endAtByte: c.at } : { cutAtByte: c.at }));
          const server = await startServer(script, plans);
          const events = await collect(streamEvents({ url: server.url, body: { messages: [] }, reconnect: fast }));
          const content = events.filter((e) => e.type === 'start' || e.type === 'chunk' || e.type === 'complete');
          // Every seq exactly once, in order: nothing lost, nothing twice.
          expect(content.map((e) => (e as { seq: number }).seq)).toEqual(script.map((_, i) => i));
          const text = events.map((e) => (e.type === 'chunk' ? e.content.text : '')).join('');
          expect(text).toBe(fullText(n));
          // Each resume asked for exactly what it had: Last-Event-ID = last seq yielded before it.
          let last = -1;
          const expected: Array<string | undefined> = [undefined];
          for (const e of events) {
            if (e.type === 'reconnecting') expected.push(last >= 0 ? String(last) : undefined);
            else if ('seq' in e && e.seq !== undefined) last = e.seq;
          }
          expect(server.requests.map((r) => r.lastEventId)).toEqual(expected);
          for (const r of server.requests.filter((r) => r.lastEventId !== undefined)) {
            expect(r.method).toBe('GET');
            expect(r.url).toContain('streamId=str_test');
          }
          await server.close();
        },
      ),
      { numRuns: 25 },
    );
  });

  it('drops events a server replays twice (seq at or below the last applied)', async () => {
    const script = textScript(6);
    // First connection ends early after the start and two chunks; the resume replays 2 events too many.
    const server = await startServer(script, [{ stallAfterEvents: 3, suffix: '' }, { overlap: 2 }]);
    const events = await collect(streamEvents({ url: server.url, reconnect: fast }));
    const seqs = events.flatMap((e) => ('seq' in e && e.seq !== undefined ? [e.seq] : []));
    expect(seqs).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(server.requests[1]?.lastEventId).toBe('2');
    expect(events.map((e) => (e.type === 'chunk' ? e.content.text : '')).join('')).toBe(fullText(6));
  });

  it('sends the API key on the first request and on every resume', async () => {
    const server = await startServer(textScript(3), [{ endAtByte: 150 }]);
    await collect(streamEvents({ url: server.url, apiKey: 'sk_test_123', body: { messages: [] }, reconnect: fast }));
    expect(server.requests.length).toBe(2);
    expect(server.requests.every((r) => r.authorization === 'Bearer sk_test_123')).toBe(true);
    expect(server.requests[0]?.method).toBe('POST');
    expect(JSON.parse(server.requests[0]?.body ?? '')).toEqual({ messages: [] });
  });
});
