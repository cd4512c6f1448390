import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpenedDatabase } from '../src/index';
import { billedAmounts, finalRecord, nativeCall, startCompatServer } from './compat-test-server';
import { openTestDatabase, type TestServer } from './test-server';

let db: OpenedDatabase;
let t: TestServer;
let client: Anthropic;
beforeAll(async () => {
  db = await openTestDatabase();
  t = await startCompatServer(db);
  // The official SDK sends its key as `x-api-key` and an `anthropic-version` header.
  client = new Anthropic({ baseURL: t.url, apiKey: t.keys.t1, maxRetries: 0 });
});
afterAll(async () => {
  await t?.close();
  await db?.close();
});

const request = { model: 'simulated/sim-1', max_tokens: 1024, system: 'You are terse.', messages: [{ role: 'user' as const, content: 'Tell me about streams.' }] };
const nativeBody = { provider: 'simulated', model: 'sim-1', maxTokens: 1024, messages: [{ role: 'system', content: 'You are terse.' }, ...request.messages] };

describe('Anthropic Messages through Twin, with the official @anthropic-ai/sdk', () => {
  it('answers messages.create with the text, usage and bill of the same native call', async () => {
    const native = await nativeCall(t, t.keys.t1, nativeBody);
    const { data, response } = await client.messages.create(request).withResponse();
    expect(data).toMatchObject({ type: 'message', role: 'assistant', model: 'simulated/sim-1', stop_reason: 'end_turn' });
    expect(data.content).toEqual([{ type: 'text', text: native.text }]);
    expect(data.usage).toMatchObject({ input_tokens: native.usage.inputTokens, output_tokens: native.usage.outputTokens });
    const streamId = (data as unknown as { twin: { stream_id: string } }).twin.stream_id;
    expect(data.id).toBe(`msg_${streamId}`);
    const record = await finalRecord(t, t.keys.t1, streamId);
    expect(billedAmounts(record)).toEqual(billedAmounts(native.record));
    expect(response.headers.get('x-twin-cost')).toBe(record.lines.total);
  });

  it('streams with messages.stream(): the event sequence, then finalMessage() with the real usage and the receipt', async () => {
    const native = await nativeCall(t, t.keys.t1, nativeBody);
    const stream = client.messages.stream(request);
    const types: string[] = [];
    stream.on('streamEvent', (event) => types.push(event.type));
    const message = await stream.finalMessage();
    expect(types[0]).toBe('message_start');
    expect(types.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    expect(types.filter((t) => t === 'content_block_start')).toHaveLength(1);
    expect(message.content).toEqual([{ type: 'text', text: native.text }]);
    expect(message.usage).toMatchObject({ input_tokens: native.usage.inputTokens, output_tokens: native.usage.outputTokens });
    expect(message.stop_reason).toBe('end_turn');
  });

  it('streams tool use as tool_use blocks with parsed input', async () => {
    const message = await client.messages
      .stream({
        model: 'tooly/tool-1',
        max_tokens: 256,
        messages: [{ role: 'user', content: 'Weather and time in Zürich?' }],
        tools: [
          { name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } },
          { name: 'get_time', input_schema: { type: 'object', properties: { tz: { type: 'string' } } } },
        ],
      })
      .finalMessage();
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content.map((b) => (b.type === 'tool_use' ? [b.name, b.input] : [b.type, b.type === 'text' ? b.text : '']))).toEqual([
      ['text', 'Let me check.'],
      ['get_weather', { city: 'Zürich' }],
      ['get_time', { tz: 'Europe/Zurich' }],
    ]);
  });

  it('accepts Bearer as well as x-api-key, and answers errors as the SDK error classes', async () => {
    const bearer = new Anthropic({ baseURL: t.url, authToken: t.keys.t1, apiKey: null, maxRetries: 0 });
    expect((await bearer.messages.create({ ...request, max_tokens: 3 })).usage.output_tokens).toBe(3);
    const unauthorized = await new Anthropic({ baseURL: t.url, apiKey: 'twin_sk_wrong', maxRetries: 0 }).messages.create(request).catch((e: unknown) => e);
    expect(unauthorized).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((unauthorized as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    const unknown = await client.messages.create({ ...request, model: 'nope/x' }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(Anthropic.NotFoundError);
    const bad = await client.messages.create({ ...request, temperature: 1.5 }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(Anthropic.BadRequestError);
    expect((bad as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ error: { type: 'invalid_request_error' } });
  });
});
