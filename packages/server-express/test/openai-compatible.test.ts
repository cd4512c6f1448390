import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpenedDatabase } from '../src/index';
import { billedAmounts, finalRecord, nativeCall, startCompatServer } from './compat-test-server';
import { fetchJson } from './read-sse';
import { openTestDatabase, type TestServer } from './test-server';

let db: OpenedDatabase;
let t: TestServer;
let client: OpenAI;
beforeAll(async () => {
  db = await openTestDatabase();
  t = await startCompatServer(db);
  // The official SDK, changed in nothing but its base URL and key.
  client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: t.keys.t1, maxRetries: 0 });
});
afterAll(async () => {
  await t?.close();
  await db?.close();
});

const messages = [
  { role: 'system' as const, content: 'You are terse.' },
  { role: 'user' as const, content: 'Tell me about streams.' },
];
const nativeBody = { provider: 'simulated', model: 'sim-1', messages };

describe('OpenAI Chat Completions through Twin, with the official openai SDK', () => {
  it('answers chat.completions.create with the text, usage and bill of the same native /api/stream call, and the cost in a header', async () => {
    const native = await nativeCall(t, t.keys.t1, nativeBody);
    const { data, response } = await client.chat.completions.create({ model: 'simulated/sim-1', messages }).withResponse();
    expect(data.object).toBe('chat.completion');
    expect(data.model).toBe('simulated/sim-1');
    expect(data.choices[0]!.message.content).toBe(native.text);
    expect(data.choices[0]!.finish_reason).toBe('stop');
    expect(data.usage).toMatchObject({ prompt_tokens: native.usage.inputTokens, completion_tokens: native.usage.outputTokens });
    const streamId = (data as unknown as { twin: { stream_id: string } }).twin.stream_id;
    expect(data.id).toBe(`chatcmpl-${streamId}`);
    const record = await finalRecord(t, t.keys.t1, streamId);
    expect(billedAmounts(record)).toEqual(billedAmounts(native.record));
    expect(record.endReason).toBe('complete');
    expect(response.headers.get('x-twin-cost')).toBe(record.lines.total);
    expect(response.headers.get('x-twin-cost-currency')).toBe('USD');
    expect(response.headers.get('x-twin-stream-id')).toBe(streamId);
  });

  it('streams with stream: true and include_usage: chunks in order, usage, and the receipt in the final usage chunk', async () => {
    const native = await nativeCall(t, t.keys.t1, nativeBody);
    const stream = await client.chat.completions.create(
      { model: 'simulated/sim-1', messages, stream: true, stream_options: { include_usage: true } },
      { headers: { 'X-Twin-Purpose': 'chat' } },
    );
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(native.text);
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('stop');
    const last = chunks.at(-1)! as typeof chunks[0] & { twin: { stream_id: string; cost: { total: string } } };
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ prompt_tokens: native.usage.inputTokens, completion_tokens: native.usage.outputTokens });
    const record = await finalRecord(t, t.keys.t1, last.twin.stream_id);
    expect(last.twin.cost.total).toBe(record.lines.total);
    expect(record.lines.total).toBe(native.record.lines.total);
    expect(record.bytes).toBeGreaterThan(0);
    // The purpose header labels the record as `options.purpose` does natively.
    expect(record.purpose).toBe('chat');
  });

  it('accumulates tool calls with chat.completions.stream(...).finalChatCompletion()', async () => {
    const runner = client.chat.completions.stream({
      model: 'tooly/tool-1',
      messages: [{ role: 'user', content: 'Weather and time in Zürich?' }],
      tools: [
        { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
        { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: { tz: { type: 'string' } } } } },
      ],
    });
    const completion = await runner.finalChatCompletion();
    const message = completion.choices[0]!.message;
    expect(message.content).toBe('Let me check.');
    expect(completion.choices[0]!.finish_reason).toBe('tool_calls');
    expect(message.tool_calls!.map((c) => c.type === 'function' && [c.function.name, JSON.parse(c.function.arguments)])).toEqual([
      ['get_weather', { city: 'Zürich' }],
      ['get_time', { tz: 'Europe/Zurich' }],
    ]);
  });

  it('takes a tool result back in the conversation (assistant tool_calls, then a tool message)', async () => {
    // A bare model name resolves when one configured provider serves it (here the simulated default).
    const completion = await client.chat.completions.create({
      model: 'sim-1',
      messages: [
        { role: 'user', content: 'Weather?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Bern"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: '{"celsius":21}' },
        { role: 'user', content: 'Thanks' },
      ],
      max_completion_tokens: 5,
      stop: ['zzz'],
    });
    expect(completion.choices[0]!.finish_reason).toBe('length');
    expect((completion as unknown as { twin: { provider: string } }).twin.provider).toBe('simulated');
    expect(completion.usage!.completion_tokens).toBe(5);
  });

  it('lists the models this key may use (models.list, models.retrieve with the provider/model slash)', async () => {
    const ids = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toContain('simulated/sim-1');
    expect(ids).toContain('tooly/tool-1');
    expect(ids).toEqual([...ids].sort());
    const model = await client.models.retrieve('simulated/sim-1');
    expect(model).toMatchObject({ id: 'simulated/sim-1', object: 'model', owned_by: 'simulated' });
    const raw = await fetchJson(`${t.url}/v1/models/simulated/sim-1`, { key: t.keys.t1 });
    expect(raw.json.id).toBe('simulated/sim-1');
  });

  it("lists and retrieves only what a key's allow-list admits (a key for one provider sees that provider's models)", async () => {
    const created = await fetchJson(`${t.url}/api/keys`, { method: 'POST', key: t.keys.admin, body: { allowedProviders: ['simulated'] } });
    expect(created.status).toBe(201);
    const limited = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: created.json.key as string, maxRetries: 0 });
    const ids = [];
    for await (const model of limited.models.list()) ids.push(model.id);
    expect(ids).toContain('simulated/sim-1');
    expect(ids.every((id) => id.startsWith('simulated/'))).toBe(true);
    await expect(limited.models.retrieve('tooly/tool-1')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('describes the doors in /openapi.json from the schemas that validate them', async () => {
    const doc = (await fetchJson(`${t.url}/openapi.json`)).json;
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/chat/completions', '/v1/models', '/v1/models/{id}', '/v1/messages']));
    expect(doc.components.schemas.OpenAIChatRequest.required).toEqual(expect.arrayContaining(['model', 'messages']));
    expect(doc.components.schemas.AnthropicMessagesRequest.required).toEqual(expect.arrayContaining(['model', 'max_tokens', 'messages']));
  });
});
