import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGeminiProvider, type Provider, type StreamPart } from '@twin/core';
import { collect, last, textOf } from './collect';
import { replayAtRandomSplits } from './replay';
import { fixture, startTranscriptServer, type TranscriptServer } from './transcript-server';

const request = {
  model: 'gemini-2.5-flash',
  messages: [
    { role: 'system' as const, content: 'Be brief.' },
    { role: 'user' as const, content: [{ type: 'text' as const, text: 'Weather?' }, { type: 'image' as const, data: 'AAAA', mediaType: 'image/jpeg' }] },
    { role: 'assistant' as const, content: [{ type: 'tool-call' as const, toolCallId: 'c1', toolName: 'get_weather', args: { location: 'Rio' } }] },
    { role: 'tool' as const, content: [{ type: 'tool-result' as const, toolCallId: 'c1', result: { temp: 30 } }] },
  ],
  tools: [{ name: 'get_weather', description: 'Weather now', parameters: { type: 'object', properties: { location: { type: 'string' } } } }],
  maxTokens: 256,
  temperature: 0.2,
  stop: ['END'],
  providerOptions: { generationConfig: { thinkingConfig: { includeThoughts: true } } },
};

let server: TranscriptServer;
beforeAll(async () => {
  server = await startTranscriptServer();
});
afterAll(() => server.close());

const make = (baseURL: string, fetch?: typeof globalThis.fetch): Provider =>
  createGeminiProvider({ baseURL, apiKey: 'AIza-test', ...(fetch ? { env: { fetch } } : {}) });

async function run(name: string): Promise<StreamPart[]> {
  const bytes = fixture(`gemini/${name}`);
  server.script({ body: bytes, maxChunk: 64 });
  const served = await collect(make(server.url).stream(request));
  const replayed = await replayAtRandomSplits(bytes, (fetch) => collect(make('http://fixture.invalid', fetch).stream(request)));
  expect(served).toEqual(replayed);
  return served;
}

describe('Gemini adapter', () => {
  it('posts to streamGenerateContent?alt=sse with contents, systemInstruction, tools and merged generationConfig', async () => {
    server.script({ body: fixture('gemini/text.sse') });
    await collect(make(server.url).stream(request));
    const sent = server.requests.at(-1)!;
    expect(sent.url).toBe('/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
    expect(sent.headers['x-goog-api-key']).toBe('AIza-test');
    expect(sent.body).toEqual({
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
      contents: [
        { role: 'user', parts: [{ text: 'Weather?' }, { inlineData: { mimeType: 'image/jpeg', data: 'AAAA' } }] },
        { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { location: 'Rio' } } }] },
        { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { temp: 30 } } }] },
      ],
      tools: [{ functionDeclarations: [{ name: 'get_weather', description: 'Weather now', parameters: { type: 'object', properties: { location: { type: 'string' } } } }] }],
      generationConfig: { maxOutputTokens: 256, temperature: 0.2, stopSequences: ['END'], thinkingConfig: { includeThoughts: true } },
    });
  });

  it('text over CRLF-framed SSE: UTF-8 intact, last cumulative usageMetadata kept', async () => {
    const parts = await run('text.sse');
    expect(parts[0]).toEqual({ type: 'response-metadata', id: 'mG5YaeqhBoCtkdUP6NrS4Qg', model: 'gemini-2.5-flash' });
    expect(textOf(parts)).toBe('Olá, mundo — 你好世界 🌍!');
    expect(parts.filter((p) => p.type === 'usage')).toHaveLength(1);
    expect(parts.at(-2)).toMatchObject({ type: 'usage', usage: { inputTokens: 9, outputTokens: 11, raw: { totalTokenCount: 20 } } });
    expect(last(parts)).toEqual({ type: 'finish', reason: 'stop', rawReason: 'STOP' });
  });

  it('parallel function calls (including one without arguments) finish as tool-calls although Gemini says STOP', async () => {
    const parts = await run('function-calls.sse');
    expect(parts.filter((p) => p.type === 'tool-call')).toEqual([
      { type: 'tool-call', toolCallId: 'call_mG5YaeqhBoCtkdUP6NrS4Qg_0', index: 0, toolName: 'get_weather', args: { location: 'São Paulo' }, argsText: '{"location":"São Paulo"}' },
      { type: 'tool-call', toolCallId: 'call_mG5YaeqhBoCtkdUP6NrS4Qg_1', index: 1, toolName: 'get_time', args: { tz: 'America/Sao_Paulo' }, argsText: '{"tz":"America/Sao_Paulo"}' },
      { type: 'tool-call', toolCallId: 'call_mG5YaeqhBoCtkdUP6NrS4Qg_2', index: 2, toolName: 'list_cities', args: {}, argsText: '{}' },
    ]);
    expect(last(parts)).toEqual({ type: 'finish', reason: 'tool-calls', rawReason: 'STOP' });
  });

  it('gives calls without an id one unique to the response (two responses never share call ids)', async () => {
    const body = new TextDecoder().decode(fixture('gemini/function-calls.sse')).replaceAll('mG5YaeqhBoCtkdUP6NrS4Qg', 'otherResponse1');
    server.script({ body: new TextEncoder().encode(body) });
    const ids = (await collect(make(server.url).stream(request))).flatMap((p) => (p.type === 'tool-call' ? [p.toolCallId] : []));
    expect(ids).toEqual(['call_otherResponse1_0', 'call_otherResponse1_1', 'call_otherResponse1_2']);
  });

  it('thought parts are reasoning; thoughtsTokenCount is added to output, cached content counted', async () => {
    const parts = await run('thinking-cached.sse');
    expect(parts.filter((p) => p.type === 'reasoning-delta')).toEqual([{ type: 'reasoning-delta', text: '**Weighing the sum**\n\nTwo plus two — trivially four.' }]);
    expect(textOf(parts)).toBe('2 + 2 = 4.');
    expect(parts.find((p) => p.type === 'usage')).toMatchObject({
      usage: { inputTokens: 4120, cacheReadTokens: 4096, outputTokens: 110, reasoningTokens: 103 },
    });
  });

  it('a blocked prompt is a content_filtered error (not retryable) with the prompt usage', async () => {
    const parts = await run('blocked-prompt.sse');
    expect(parts.some((p) => p.type === 'text-delta')).toBe(false);
    expect(last(parts)).toMatchObject({
      type: 'error',
      error: { code: 'content_filtered', retryable: false, message: expect.stringContaining('PROHIBITED_CONTENT') },
      usage: { inputTokens: 12 },
    });
  });

  it('a SAFETY finish reason is content-filter', async () => {
    const parts = await run('safety-finish.sse');
    expect(textOf(parts)).toBe('I started to');
    expect(last(parts)).toEqual({ type: 'finish', reason: 'content-filter', rawReason: 'SAFETY' });
  });

  it('an error object mid-stream is a typed, retryable error part', async () => {
    const parts = await run('mid-stream-error.sse');
    expect(textOf(parts)).toBe('Bom di');
    expect(last(parts)).toMatchObject({ type: 'error', error: { code: 'provider_overloaded', retryable: true }, usage: { inputTokens: 9, estimated: true } });
  });

  it('a stream without a finish reason is stream_truncated', async () => {
    const parts = await run('truncated.sse');
    expect(textOf(parts)).toBe('Olá, mundo — 你好世界 🌍');
    expect(last(parts)).toMatchObject({ type: 'error', error: { code: 'stream_truncated' }, usage: { estimated: true } });
  });

  it('429 RESOURCE_EXHAUSTED takes its wait from RetryInfo in the body', async () => {
    server.script({
      status: 429,
      body: JSON.stringify({
        error: {
          code: 429,
          message: 'Resource has been exhausted',
          status: 'RESOURCE_EXHAUSTED',
          details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '30s' }],
        },
      }),
    });
    expect((await collect(make(server.url).stream(request)))[0]).toMatchObject({
      type: 'error',
      error: { code: 'provider_rate_limited', retryable: true, retryAfterMs: 30_000 },
    });
  });
});
