import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenAIResponsesProvider, type Provider, type StreamPart } from '@twin/core';
import { collect, last, textOf } from './collect';
import { replayAtRandomSplits } from './replay';
import { fixture, startTranscriptServer, type TranscriptServer } from './transcript-server';

const request = {
  model: 'gpt-4.1',
  messages: [
    { role: 'system' as const, content: 'Be brief.' },
    { role: 'user' as const, content: [{ type: 'text' as const, text: 'Look' }, { type: 'image' as const, data: 'QUJD', mediaType: 'image/png' }] },
    { role: 'assistant' as const, content: [{ type: 'tool-call' as const, toolCallId: 'call_1', toolName: 'get_weather', args: { location: 'Oslo' } }] },
    { role: 'tool' as const, content: [{ type: 'tool-result' as const, toolCallId: 'call_1', result: { temp: -3 } }] },
  ],
  tools: [{ name: 'get_weather', parameters: { type: 'object', properties: {} } }],
  maxTokens: 500,
  temperature: 0,
  providerOptions: { reasoning: { effort: 'low', summary: 'auto' } },
};

let server: TranscriptServer;
beforeAll(async () => {
  server = await startTranscriptServer();
});
afterAll(() => server.close());

const modes: Array<[string, (baseURL: string, fetch?: typeof globalThis.fetch) => Provider]> = [
  ['sdk client', (baseURL, fetch) => createOpenAIResponsesProvider({ client: new OpenAI({ apiKey: 'sk-test', baseURL, maxRetries: 0, ...(fetch ? { fetch } : {}) }) })],
  ['fetch', (baseURL, fetch) => createOpenAIResponsesProvider({ baseURL, apiKey: 'sk-test', ...(fetch ? { env: { fetch } } : {}) })],
];

async function run(name: string, mode: (typeof modes)[number][1]): Promise<StreamPart[]> {
  const bytes = fixture(`openai-responses/${name}`);
  server.script({ body: bytes, maxChunk: 64 });
  const served = await collect(mode(`${server.url}/v1`).stream(request));
  const replayed = await replayAtRandomSplits(bytes, (fetch) => collect(mode('http://fixture.invalid/v1', fetch).stream(request)));
  expect(served).toEqual(replayed);
  return served;
}

describe.each(modes)('OpenAI Responses adapter (%s)', (_label, mode) => {
  it('sends input items (function_call / function_call_output), max_output_tokens and providerOptions', async () => {
    server.script({ body: fixture('openai-responses/text.sse') });
    await collect(mode(`${server.url}/v1`).stream(request));
    const sent = server.requests.at(-1)!;
    expect(sent.url).toBe('/v1/responses');
    expect(sent.body).toEqual({
      model: 'gpt-4.1',
      stream: true,
      input: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'input_text', text: 'Look' }, { type: 'input_image', image_url: 'data:image/png;base64,QUJD' }] },
        { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"location":"Oslo"}' },
        { type: 'function_call_output', call_id: 'call_1', output: '{"temp":-3}' },
      ],
      tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object', properties: {} } }],
      max_output_tokens: 500,
      temperature: 0,
      reasoning: { effort: 'low', summary: 'auto' },
    });
  });

  it('text: metadata, UTF-8 (RTL) text, usage, finish stop', async () => {
    const parts = await run('text.sse', mode);
    expect(parts[0]).toEqual({ type: 'response-metadata', id: 'resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b', model: 'gpt-4.1-2025-04-14' });
    expect(textOf(parts)).toBe('Hej då — مرحبا ✨');
    expect(parts.at(-2)).toMatchObject({ type: 'usage', usage: { inputTokens: 37, cacheReadTokens: 0, outputTokens: 11, reasoningTokens: 0 } });
    expect(last(parts)).toEqual({ type: 'finish', reason: 'stop', rawReason: 'completed' });
  });

  it('interleaved parallel function calls with split arguments', async () => {
    const parts = await run('function-calls.sse', mode);
    expect(parts.filter((p) => p.type === 'tool-call')).toEqual([
      { type: 'tool-call', toolCallId: 'call_weather01', index: 0, toolName: 'get_weather', args: { location: 'Göteborg' }, argsText: '{"location":"Göteborg"}' },
      { type: 'tool-call', toolCallId: 'call_time02', index: 1, toolName: 'get_time', args: { tz: 'Asia/Tokyo' }, argsText: '{"tz":"Asia/Tokyo"}' },
    ]);
    expect(last(parts)).toEqual({ type: 'finish', reason: 'tool-calls', rawReason: 'completed' });
  });

  it('reasoning summary deltas; cached and reasoning token usage', async () => {
    const parts = await run('reasoning-cached.sse', mode);
    expect(parts.filter((p) => p.type === 'reasoning-delta').map((p) => (p.type === 'reasoning-delta' ? p.text : '')).join('')).toBe(
      '**Adding numbers**\n\n2 plus 2 is 4.',
    );
    expect(parts.find((p) => p.type === 'usage')).toMatchObject({ usage: { inputTokens: 1536, cacheReadTokens: 1280, outputTokens: 210, reasoningTokens: 192 } });
  });

  it('a refusal is text with finish content-filter', async () => {
    const parts = await run('refusal.sse', mode);
    expect(textOf(parts)).toBe("I'm sorry, I can't assist with that.");
    expect(parts.filter((p) => p.type === 'text-delta').every((p) => p.type === 'text-delta' && p.refusal === true)).toBe(true);
    expect(last(parts)).toEqual({ type: 'finish', reason: 'content-filter', rawReason: 'completed' });
  });

  it('response.incomplete for max_output_tokens finishes as length with its usage', async () => {
    const parts = await run('incomplete.sse', mode);
    expect(last(parts)).toEqual({ type: 'finish', reason: 'length', rawReason: 'max_output_tokens' });
    expect(parts.at(-2)).toMatchObject({ usage: { inputTokens: 12, outputTokens: 3 } });
  });

  it('an error event is a typed error after the content', async () => {
    const parts = await run('mid-stream-error.sse', mode);
    expect(textOf(parts)).toBe('Partiell svar');
    expect(last(parts)).toMatchObject({ type: 'error', error: { code: 'provider_unavailable', retryable: true }, usage: { estimated: true } });
  });

  it('an error event with nested details keeps the message, its type and code, and is retryable', async () => {
    const parts = await run('error-nested.sse', mode);
    expect(textOf(parts)).toBe('Partiell svar');
    expect(last(parts)).toMatchObject({
      type: 'error',
      error: { code: 'provider_unavailable', retryable: true, providerErrorType: 'server_error', providerErrorCode: 'server_error' },
    });
    const error = last(parts) as Extract<StreamPart, { type: 'error' }>;
    expect(error.error.message).toContain('The server had an error while processing your request.');
  });

  it('response.failed is read: its code decides, its message is kept', async () => {
    const parts = await run('failed.sse', mode);
    expect(textOf(parts)).toBe('Hej');
    const error = last(parts) as Extract<StreamPart, { type: 'error' }>;
    expect(error.error).toMatchObject({ code: 'provider_rate_limited', retryable: true, providerErrorCode: 'rate_limit_exceeded' });
    expect(error.error.message).toContain('Rate limit reached for gpt-4.1');
  });

  it('a stream without response.completed is stream_truncated', async () => {
    const parts = await run('truncated.sse', mode);
    expect(textOf(parts)).toBe('Hej då');
    expect(last(parts)).toMatchObject({ type: 'error', error: { code: 'stream_truncated' } });
  });
});
