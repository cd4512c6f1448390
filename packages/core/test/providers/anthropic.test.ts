import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnthropicProvider, type AnthropicClient, type Provider, type StreamPart } from '@twin/core';
import { collect, last, textOf } from './collect';
import { replayAtRandomSplits } from './replay';
import { fixture, startTranscriptServer, type TranscriptServer } from './transcript-server';

const request = {
  model: 'claude-sonnet-4-5',
  messages: [
    { role: 'system' as const, content: 'Be brief.' },
    { role: 'user' as const, content: [{ type: 'text' as const, text: 'Weather?' }, { type: 'image' as const, url: 'data:image/png;base64,iVBORw0KGgo=' }] },
    { role: 'assistant' as const, content: [{ type: 'tool-call' as const, toolCallId: 'toolu_1', toolName: 'get_weather', args: { location: 'Wien' } }] },
    { role: 'tool' as const, content: [{ type: 'tool-result' as const, toolCallId: 'toolu_1', result: { temp: 21 } }] },
  ],
  tools: [{ name: 'get_weather', parameters: { type: 'object', properties: { location: { type: 'string' } } } }],
  temperature: 0,
  stop: ['END'],
  providerOptions: { thinking: { type: 'enabled', budget_tokens: 1024 } },
};

let server: TranscriptServer;
beforeAll(async () => {
  server = await startTranscriptServer();
});
afterAll(() => server.close());

const modes: Array<[string, (baseURL: string, fetch?: typeof globalThis.fetch) => Provider]> = [
  ['sdk client', (baseURL, fetch) => createAnthropicProvider({ client: new Anthropic({ apiKey: 'sk-ant-test', baseURL, maxRetries: 0, ...(fetch ? { fetch } : {}) }) })],
  ['fetch', (baseURL, fetch) => createAnthropicProvider({ baseURL, apiKey: 'sk-ant-test', ...(fetch ? { env: { fetch } } : {}) })],
  // A client whose call has no asResponse(): the adapter iterates the SDK's own parsed events.
  ['sdk parsed events', (baseURL, fetch) => createAnthropicProvider({ client: parsedOnly(new Anthropic({ apiKey: 'sk-ant-test', baseURL, maxRetries: 0, ...(fetch ? { fetch } : {}) })) })],
];

function parsedOnly(client: Anthropic): AnthropicClient {
  return { messages: { create: (body, options) => Promise.resolve(client.messages.create(body as never, options)) as unknown as Promise<AsyncIterable<unknown>> } };
}

async function run(name: string, mode: (typeof modes)[number][1]): Promise<StreamPart[]> {
  const bytes = fixture(`anthropic/${name}`);
  server.script({ body: bytes, maxChunk: 64 });
  const served = await collect(mode(server.url).stream(request));
  const replayed = await replayAtRandomSplits(bytes, (fetch) => collect(mode('http://fixture.invalid', fetch).stream(request)));
  expect(served).toEqual(replayed);
  return served;
}

describe.each(modes)('Anthropic adapter (%s)', (_label, mode) => {
  it('sends the Messages request: system on top, image, tool_use and tool_result blocks, default max_tokens', async () => {
    server.script({ body: fixture('anthropic/text.sse') });
    await collect(mode(server.url).stream(request));
    const sent = server.requests.at(-1)!;
    expect(sent.url).toBe('/v1/messages');
    expect(sent.headers['x-api-key']).toBe('sk-ant-test');
    expect(sent.headers['anthropic-version']).toBe('2023-06-01');
    expect(sent.body).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: 4096,
      system: 'Be brief.',
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Weather?' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } }] },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { location: 'Wien' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '{"temp":21}' }] },
      ],
      tools: [{ name: 'get_weather', input_schema: { type: 'object', properties: { location: { type: 'string' } } } }],
      temperature: 0,
      stop_sequences: ['END'],
      stream: true,
      thinking: { type: 'enabled', budget_tokens: 1024 },
    });
  });

  it('text with ping events: metadata, UTF-8 text, usage, finish stop', async () => {
    const parts = await run('text.sse', mode);
    expect(parts[0]).toEqual({ type: 'response-metadata', id: 'msg_01XFDUDYJgAACzvnptvVoYEL', model: 'claude-sonnet-4-5-20250929' });
    expect(textOf(parts)).toBe('Grüß Gott — こんにちは 👋');
    expect(parts.filter((p) => p.type === 'usage')).toHaveLength(1);
    expect(parts.at(-2)).toMatchObject({ type: 'usage', usage: { inputTokens: 25, cacheReadTokens: 0, cacheWriteTokens: 0, outputTokens: 15 } });
    expect(last(parts)).toEqual({ type: 'finish', reason: 'stop', rawReason: 'end_turn' });
  });

  it('parallel tool use with split input_json_delta, and a tool called without arguments', async () => {
    const parts = await run('tool-use.sse', mode);
    expect(textOf(parts)).toBe('Let me check.');
    const calls = parts.filter((p) => p.type === 'tool-call');
    expect(calls).toEqual([
      { type: 'tool-call', toolCallId: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', index: 0, toolName: 'get_weather', args: { location: 'München', unit: 'c' }, argsText: '{"location": "München", "unit": "c"}' },
      { type: 'tool-call', toolCallId: 'toolu_01AbCdEfGhIjKlMnOpQrStUv', index: 1, toolName: 'get_time', args: { tz: 'Europe/Berlin' }, argsText: '{"tz": "Europe/Berlin"}' },
      { type: 'tool-call', toolCallId: 'toolu_01NoArgsNoArgsNoArgsNoAr', index: 2, toolName: 'list_cities', args: {}, argsText: '' },
    ]);
    expect(last(parts)).toEqual({ type: 'finish', reason: 'tool-calls', rawReason: 'tool_use' });
  });

  it('thinking deltas, and cache usage where cumulative message_delta usage overwrites (never adds)', async () => {
    const parts = await run('thinking-cached.sse', mode);
    const reasoning = parts.filter((p) => p.type === 'reasoning-delta').map((p) => (p.type === 'reasoning-delta' ? p.text : '')).join('');
    expect(reasoning).toBe('Let me solve this step by step:\n\n1. 27 × 453 = 12,231');
    expect(textOf(parts)).toBe('27 × 453 = 12,231');
    const usage = parts.find((p) => p.type === 'usage');
    // input 12 + cache read 2048 + cache write 1024; output is the LAST cumulative value (52), not 1+40+52.
    expect(usage).toMatchObject({ usage: { inputTokens: 3084, cacheReadTokens: 2048, cacheWriteTokens: 1024, outputTokens: 52 } });
    expect(usage?.type === 'usage' && usage.usage.estimated).toBeUndefined();
  });

  it('a refusal stop reason finishes as content-filter', async () => {
    const parts = await run('refusal.sse', mode);
    expect(last(parts)).toEqual({ type: 'finish', reason: 'content-filter', rawReason: 'refusal' });
  });

  it('an error event inside the 200 response is a typed overloaded error with the usage so far', async () => {
    const parts = await run('mid-stream-error.sse', mode);
    expect(textOf(parts)).toBe('Half an ånswer');
    // Input came from message_start; output is unknown, so it is estimated and flagged.
    expect(last(parts)).toMatchObject({
      type: 'error',
      error: { code: 'provider_overloaded', retryable: true, provider: 'anthropic' },
      usage: { inputTokens: 25, estimated: true },
    });
  });

  it('a stream without message_stop is stream_truncated, never a success', async () => {
    const parts = await run('truncated.sse', mode);
    expect(textOf(parts)).toBe('Grüß Gott');
    expect(last(parts)).toMatchObject({ type: 'error', error: { code: 'stream_truncated' }, usage: { inputTokens: 25, estimated: true } });
  });

  it('HTTP 529 is provider_overloaded; 429 keeps Retry-After', async () => {
    server.script(
      { status: 529, body: '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}' },
      { status: 429, headers: { 'retry-after': '7' }, body: '{"type":"error","error":{"type":"rate_limit_error","message":"Too many"}}' },
    );
    // The provider's status and its own error type travel as fields, not only in the message.
    expect((await collect(mode(server.url).stream(request)))[0]).toMatchObject({
      error: { code: 'provider_overloaded', retryable: true, providerStatus: 529, providerErrorType: 'overloaded_error' },
    });
    expect((await collect(mode(server.url).stream(request)))[0]).toMatchObject({
      error: { code: 'provider_rate_limited', retryAfterMs: 7000, providerStatus: 429, providerErrorType: 'rate_limit_error' },
    });
  });
});
