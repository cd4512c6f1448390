import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyring, createPayloadOpener, createSimulatedProvider, type SealedFields } from '@twin/core';
import type { OpenedDatabase } from '../src/index';
import { openSSE } from './read-sse';
import { openTestDatabase, startTestServer, type TestServer } from './test-server';

const key = new Uint8Array(32).map((_, i) => i * 7 + 1);
const keyring = () => createKeyring([{ id: 'k1', key }]);
let db: OpenedDatabase;
let t: TestServer;
// The provider can be held part-way through a stream (after `holdAfter` of its sleeps) until the
// test releases it, so the first connection closes mid-stream however slow the machine is: at
// 200 tokens/s alone, a loaded machine delivered the whole 150 ms stream before the client closed.
let sleeps = 0;
let holdAfter = Infinity;
let held: Promise<void> = Promise.resolve();
let release = () => {};
const sleep = async (ms: number, signal?: AbortSignal) => {
  if (++sleeps > holdAfter) await held;
  if (signal?.aborted) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
};
beforeAll(async () => {
  db = await openTestDatabase();
  t = await startTestServer(db, {
    providers: [createSimulatedProvider({ tokensPerSecond: 200, outputTokens: 30, env: { sleep } })],
    service: { keyring: keyring(), detachGraceMs: 30_000 },
  });
});
afterAll(async () => {
  await t.close();
  await db.close();
});

describe('sealed streams (payload codec + encryption)', () => {
  it('announces codec and key in start, seals every chunk, and a fresh opener per connection reads them across a resume', async () => {
    const body = { messages: [{ role: 'user', content: 'seal me' }], options: { codec: 'deflate', encryption: { alg: 'xchacha20-poly1305', keyId: 'k1' } } };
    const plain = await openSSE(`${t.url}/api/stream`, { headers: { authorization: `Bearer ${t.keys.t1}` }, body: { messages: body.messages } });
    await plain.done;
    const expected = plain.events.filter((e) => e.event === 'chunk').map((e) => e.json.text).join('');

    sleeps = 0;
    holdAfter = 2;
    held = new Promise<void>((resolve) => (release = resolve));
    const first = await openSSE(`${t.url}/api/stream`, { headers: { authorization: `Bearer ${t.keys.t1}` }, body });
    await first.waitFor((e) => e.filter((x) => x.event === 'chunk').length >= 1);
    first.close();
    expect(first.events.some((e) => e.event === 'complete')).toBe(false);
    holdAfter = Infinity;
    release();
    const start = first.events[0]!.json as { streamId: string; codec: string; alg: string; kid: string };
    expect(start).toMatchObject({ codec: 'deflate', alg: 'xchacha20-poly1305', kid: 'k1' });
    let ending: unknown;
    const open = (events: typeof first.events) => {
      const opener = createPayloadOpener({ streamId: start.streamId, keyring: keyring() });
      const text = events
        .filter((e) => e.event === 'chunk')
        .map((e) => {
          expect(e.json.text).toBeUndefined();
          return (opener.open('chunk', e.json.seq as number, e.json as unknown as SealedFields) as { text?: string }).text ?? '';
        })
        .join('');
      // Protocol 2: the ending is sealed as the last frame of the connection's chain.
      const last = events.at(-1)!;
      if (last.event === 'complete') ending = opener.open('complete', last.json.seq as number, last.json.seal as SealedFields);
      return text;
    };
    const part1 = open(first.events);
    const lastId = first.events.at(-1)!.id!;
    const second = await openSSE(`${t.url}/api/stream?streamId=${start.streamId}`, { headers: { authorization: `Bearer ${t.keys.t1}`, 'last-event-id': lastId } });
    await second.done;
    expect(part1 + open(second.events)).toBe(expected);
    expect(second.events.at(-1)!.event).toBe('complete');
    expect(ending).toMatchObject({ finishReason: second.events.at(-1)!.json.finishReason });
  });
});
