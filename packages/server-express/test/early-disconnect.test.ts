import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulatedProvider, type Provider, type StreamPart } from '@twin/core';
import type { OpenedDatabase } from '../src/index';
import type { RequestStage } from '../src/http/client-presence';
import { fetchJson, openSSE } from './read-sse';
import { rawRequest, vanish } from './raw-tcp';
import { openTestDatabase, startTestServer, type TestServer } from './test-server';

/**
 * A client that vanishes at every await point of a request must leave nothing behind: no provider
 * call, no held slot, no bill (before the stream started) or one `client_abort` bill (after).
 * Requests are held at an exact await with the service's test hook, never with sleeps.
 */
let db: OpenedDatabase;
let t: TestServer;
const calls = { simulated: 0, held: 0, heldAborted: 0 };
const simulated = createSimulatedProvider({ tokensPerSecond: 400, outputTokens: 8 });
const counting: Provider = {
  ...simulated,
  name: 'counting',
  stream(request, options) {
    calls.simulated++;
    return simulated.stream(request, options);
  },
};
// Answers nothing until aborted: the provider await of a started stream.
const held: Provider = {
  name: 'held',
  defaultModel: 'held-1',
  async *stream(_request, options = {}): AsyncGenerator<StreamPart> {
    calls.held++;
    const signal = options.signal!;
    if (!signal.aborted) await once(signal, 'abort');
    calls.heldAborted++;
    yield { type: 'error', error: { code: 'aborted', message: 'aborted', retryable: false } };
  },
};

/** Requests carrying `x-hold: <stage>` stop after that await until their socket has closed. */
const reached = new Map<string, () => void>();
async function afterAwait(stage: RequestStage, req: IncomingMessage) {
  if (req.headers['x-hold'] !== stage) return;
  const closed = new Promise((resolve) => req.socket.once('close', resolve));
  reached.get(String(req.headers['x-tag']))?.();
  await closed;
}
const arrivedAt = (tag: string) => new Promise<void>((resolve) => reached.set(tag, resolve));

beforeAll(async () => {
  db = await openTestDatabase();
  t = await startTestServer(db, {
    providers: [counting, held],
    service: { hooks: { afterAwait }, detachGraceMs: 0, stream: { maxConnectionsPerKey: 3 } },
  });
});
afterAll(async () => {
  await t.close();
  await db.close();
});

const auth = () => ({ authorization: `Bearer ${t.keys.t1}` });
const clientGone = async (stage: string) => {
  const text = await (await fetch(`${t.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`twin_client_gone_total{stage="${stage}"}`));
  return line ? Number(line.split(' ').at(-1)) : 0;
};
const records = async () => {
  await t.store.flush();
  return (await fetchJson(`${t.url}/api/billing/records?limit=200`, { key: t.keys.t1 })).json.records as Array<{ streamId: string; endReason: string; state: string }>;
};

describe('a client that vanishes before its stream starts', () => {
  const cases: Array<{ stage: RequestStage; method: 'GET' | 'POST' }> = [
    { stage: 'auth', method: 'GET' },
    { stage: 'auth', method: 'POST' },
    { stage: 'body', method: 'POST' },
    { stage: 'budget', method: 'GET' },
    { stage: 'budget', method: 'POST' },
  ];
  it.each(cases)('is noticed after the $stage await ($method): no provider call, no slot, no bill', async ({ stage, method }) => {
    const before = { calls: calls.simulated, gone: await clientGone(stage), records: (await records()).length };
    const tag = `${stage}-${method}`;
    const arrived = arrivedAt(tag);
    const socket = await rawRequest(t.url, {
      method,
      path: method === 'GET' ? '/api/stream?provider=counting&prompt=x' : '/api/stream',
      headers: { ...auth(), 'x-hold': stage, 'x-tag': tag },
      ...(method === 'POST' ? { body: JSON.stringify({ provider: 'counting', messages: [{ role: 'user', content: 'x' }] }) } : {}),
    });
    await arrived;
    await vanish(socket);
    await expect.poll(() => clientGone(stage)).toBe(before.gone + 1);
    expect(calls.simulated).toBe(before.calls);
    expect(t.service.hub.openConnections).toBe(0);
    expect(t.service.hub.activeStreams).toBe(0);
    expect(await records()).toHaveLength(before.records);
  });

  it('leaves the per-key slots free: three vanished requests on a 3-stream key, then three streams still open (issue #11 reproduction)', async () => {
    const sockets = await Promise.all(
      [0, 1, 2].map(async (i) => {
        const tag = `repro-${i}`;
        const arrived = arrivedAt(tag);
        const socket = await rawRequest(t.url, { path: '/api/stream?provider=counting&prompt=x', headers: { ...auth(), 'x-hold': 'budget', 'x-tag': tag } });
        await arrived;
        return socket;
      }),
    );
    await Promise.all(sockets.map(vanish));
    const health = async () => (await fetchJson(`${t.url}/health`)).json.openConnections;
    await expect.poll(health).toBe(0);
    const readers = await Promise.all([0, 1, 2].map(() => openSSE(`${t.url}/api/stream?provider=counting&prompt=x`, { headers: auth() })));
    expect(readers.map((r) => r.status)).toEqual([200, 200, 200]);
    await Promise.all(readers.map((r) => r.done));
    expect((await records()).every((r) => r.endReason !== 'complete' || readers.some((x) => x.headers['x-twin-stream-id'] === r.streamId))).toBe(true);
  });
});

describe('a client that vanishes while its stream waits on the provider', () => {
  it('aborts the provider (no detach grace here), frees the slots and bills client_abort once', async () => {
    const socket = await rawRequest(t.url, { path: '/api/stream?provider=held&prompt=x', headers: auth() });
    const head = await new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (b: Buffer) => {
        text += b.toString();
        if (text.includes('event: start')) resolve(text);
      });
    });
    const streamId = /x-twin-stream-id: (\S+)/i.exec(head)![1]!;
    expect(calls.held).toBeGreaterThan(calls.heldAborted);
    await vanish(socket);
    await expect.poll(() => calls.heldAborted).toBe(calls.held);
    await expect.poll(async () => (await records()).filter((r) => r.streamId === streamId && r.state === 'final').map((r) => r.endReason)).toEqual(['client_abort']);
    expect(t.service.hub.openConnections).toBe(0);
    expect(t.service.hub.activeStreams).toBe(0);
  });
});
