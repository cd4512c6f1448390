import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSimulatedProvider } from '@twin/core';
import type { OpenedDatabase } from '../src/index';
import { fetchJson, openSSE } from './read-sse';
import { openTestDatabase, startTestServer, type TestServer } from './test-server';

let db: OpenedDatabase;
let t: TestServer;
beforeAll(async () => {
  db = await openTestDatabase();
  t = await startTestServer(db, {
    providers: [createSimulatedProvider({ tokensPerSecond: 400, outputTokens: 12 }), createSimulatedProvider({ name: 'slow', tokensPerSecond: 20, outputTokens: 2_000 })],
  });
});
afterAll(async () => {
  await t.close();
  await db.close();
});

const auth = () => ({ authorization: `Bearer ${t.keys.t1}` });
const userMessage = (text: string) => ({ id: `u-${text.length}`, role: 'user', parts: [{ type: 'text', text }] });
const chunks = (events: Array<{ data: string }>) => events.map((e) => (e.data === '[DONE]' ? '[DONE]' : (JSON.parse(e.data) as { type: string } & Record<string, unknown>)));

async function finalRecord(streamId: string) {
  // Polls the condition (the end is written behind, in a batch); only the limit is a clock.
  return vi.waitFor(
    async () => {
      await t.store.flush();
      const res = await fetchJson(`${t.url}/api/billing/records?limit=50`, { key: t.keys.t1 });
      const record = res.json.records.find((r: { streamId: string }) => r.streamId === streamId);
      if (record?.state !== 'final') throw new Error(`no final record for ${streamId}`);
      return record;
    },
    { timeout: 60_000, interval: 50 },
  );
}

describe('POST /api/chat (the AI SDK useChat door)', () => {
  it('answers the body useChat posts in the UI message stream format, with the receipt as message metadata, billed once', async () => {
    const r = await openSSE(`${t.url}/api/chat`, {
      method: 'POST',
      headers: auth(),
      body: { id: 'chat-1', trigger: 'submit-message', messages: [userMessage('How are streams billed?')] },
    });
    await r.done;
    expect(r.status).toBe(200);
    expect(r.headers['x-vercel-ai-ui-message-stream']).toBe('v1');
    expect(r.headers['content-type']).toMatch(/^text\/event-stream/);
    const parts = chunks(r.events);
    expect(r.events.every((e) => e.event === undefined && e.id === undefined)).toBe(true);
    expect(parts.at(-1)).toBe('[DONE]');
    const types = parts.map((p) => (typeof p === 'string' ? p : p.type));
    expect(types.slice(0, 3)).toEqual(['start', 'start-step', 'text-start']);
    expect(types.slice(-4)).toEqual(['text-end', 'finish-step', 'finish', '[DONE]']);
    const text = parts.filter((p): p is { type: string; delta: string } => typeof p !== 'string' && p.type === 'text-delta').map((p) => p.delta).join('');
    expect(text).toMatch(/^Simulated answer to "How are streams billed\?": /);
    const start = parts[0] as unknown as { messageMetadata: { streamId: string; simulated: boolean } };
    expect(start.messageMetadata).toMatchObject({ provider: 'simulated', simulated: true });
    const finish = parts.at(-2) as unknown as { finishReason: string; messageMetadata: { usage: { outputTokens: number }; cost: { total: string; simulated: boolean } } };
    expect(finish.finishReason).toBe('stop');
    const record = await finalRecord(start.messageMetadata.streamId);
    expect(record.endReason).toBe('complete');
    expect(finish.messageMetadata.usage.outputTokens).toBe(record.outputTokens);
    expect(finish.messageMetadata.cost).toMatchObject({ total: record.lines.total, simulated: true });
  });

  it('sends tool results back to the model: an assistant step with a tool part becomes a tool call and its result', async () => {
    const tools = [{ name: 'get_time', parameters: { type: 'object', properties: {} } }];
    const first = await openSSE(`${t.url}/api/chat`, { method: 'POST', headers: auth(), body: { id: 'chat-2', tools, messages: [userMessage('use get_time')] } });
    await first.done;
    const parts = chunks(first.events).filter((p) => typeof p !== 'string') as Array<{ type: string } & Record<string, unknown>>;
    const call = parts.find((p) => p.type === 'tool-input-available')!;
    expect(call).toMatchObject({ toolName: 'get_time', input: {} });
    expect(parts.find((p) => p.type === 'finish')).toMatchObject({ finishReason: 'tool-calls' });

    const assistant = { id: 'a1', role: 'assistant', parts: [{ type: 'step-start' }, { type: 'tool-get_time', toolCallId: call.toolCallId, state: 'output-available', input: {}, output: { time: '12:00' } }] };
    const second = await openSSE(`${t.url}/api/chat`, { method: 'POST', headers: auth(), body: { id: 'chat-2', tools, messages: [userMessage('use get_time'), assistant] } });
    await second.done;
    const text = chunks(second.events).filter((p): p is { type: string; delta: string } => typeof p !== 'string' && p.type === 'text-delta').map((p) => p.delta).join('');
    expect(text).toMatch(/^Simulated answer: get_time returned \{"time":"12:00"\}\. /);
  });

  it('refuses what it cannot serve with a JSON error naming the field, and bills nothing', async () => {
    await t.store.flush();
    const before = (await fetchJson(`${t.url}/api/billing/records?limit=100`, { key: t.keys.t1 })).json.records.length;
    const noKey = await fetchJson(`${t.url}/api/chat`, { method: 'POST', body: { id: 'c', messages: [userMessage('hi')] } });
    expect(noKey.status).toBe(401);
    const bad = await fetchJson(`${t.url}/api/chat`, { method: 'POST', key: t.keys.t1, body: { id: 'c', messages: [{ id: 'x', role: 'robot', parts: [] }] } });
    expect(bad.status).toBe(400);
    expect(bad.json.details.field).toBe('messages.0.role');
    const sealed = await fetchJson(`${t.url}/api/chat`, { method: 'POST', key: t.keys.t1, body: { id: 'c', options: { codec: 'gzip' }, messages: [userMessage('hi')] } });
    expect(sealed.status).toBe(400);
    expect(sealed.json.details.field).toBe('options');
    await t.store.flush();
    expect((await fetchJson(`${t.url}/api/billing/records?limit=100`, { key: t.keys.t1 })).json.records.length).toBe(before);
  });

  it('is described in /openapi.json', async () => {
    const doc = await fetchJson(`${t.url}/openapi.json`);
    expect(Object.keys(doc.json.paths)).toEqual(expect.arrayContaining(['/api/chat', '/api/chat/{id}/stream']));
    expect(doc.json.components.schemas.UIChatRequest.required).toEqual(expect.arrayContaining(['id', 'messages']));
  });

  it('GET /api/chat/:id/stream replays a running answer from its start in the same format, and is 204 when nothing runs', async () => {
    expect((await fetchJson(`${t.url}/api/chat/nothing-here/stream`, { key: t.keys.t1 })).status).toBe(204);
    const first = await openSSE(`${t.url}/api/chat`, { method: 'POST', headers: auth(), body: { id: 'chat-3', provider: 'slow', messages: [userMessage('a long one')] } });
    await first.waitFor((events) => events.length >= 5);
    // Another tenant cannot see the chat.
    expect((await fetchJson(`${t.url}/api/chat/chat-3/stream`, { key: t.keys.t2 })).status).toBe(204);
    const resumed = await openSSE(`${t.url}/api/chat/chat-3/stream`, { headers: auth() });
    await resumed.waitFor((events) => events.length >= 8);
    const parts = chunks(resumed.events);
    expect(parts.slice(0, 3).map((p) => (typeof p === 'string' ? p : p.type))).toEqual(['start', 'start-step', 'text-start']);
    expect(resumed.headers['x-vercel-ai-ui-message-stream']).toBe('v1');
    resumed.close();
    first.close();
  });
});
