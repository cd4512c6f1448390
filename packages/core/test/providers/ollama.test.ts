import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOllamaProvider, type Provider, type StreamPart } from '@twin/core';
import { collect, last, textOf } from './collect';
import { replayAtRandomSplits } from './replay';
import { fixture, startTranscriptServer, type TranscriptServer } from './transcript-server';

const request = {
  model: 'llama3.2',
  messages: [
    { role: 'system' as const, content: 'Be brief.' },
    { role: 'user' as const, content: [{ type: 'text' as const, text: 'Look:' }, { type: 'image' as const, url: 'data:image/png;base64,QUJD' }] },
    { role: 'assistant' as const, content: [{ type: 'tool-call' as const, toolCallId: 'c1', toolName: 'get_weather', args: { location: 'Kraków' } }] },
    { role: 'tool' as const, content: [{ type: 'tool-result' as const, toolCallId: 'c1', result: 'sunny' }] },
  ],
  tools: [{ name: 'get_weather', parameters: { type: 'object', properties: {} } }],
  maxTokens: 64,
  temperature: 0,
  stop: ['END'],
  providerOptions: { think: true, options: { num_ctx: 8192 } },
};

let server: TranscriptServer;
beforeAll(async () => {
  server = await startTranscriptServer();
});
afterAll(() => server.close());

/** A seeded generator: each provider made gets the same sequence, so served and replayed runs agree. */
function seededRandom(seed = 42): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

const make = (baseURL: string, fetch?: typeof globalThis.fetch): Provider =>
  createOllamaProvider({ baseURL, env: { random: seededRandom(), ...(fetch ? { fetch } : {}) } });

async function run(name: string): Promise<StreamPart[]> {
  const bytes = fixture(`ollama/${name}`);
  server.script({ body: bytes, maxChunk: 48, headers: { 'content-type': 'application/x-ndjson' } });
  const served = await collect(make(server.url).stream(request));
  const replayed = await replayAtRandomSplits(bytes, (fetch) => collect(make('http://fixture.invalid', fetch).stream(request)));
  expect(served).toEqual(replayed);
  return served;
}

describe('Ollama native adapter', () => {
  it('posts /api/chat with images as base64, tool calls/results, and options merged', async () => {
    server.script({ body: fixture('ollama/text.ndjson') });
    await collect(make(server.url).stream(request));
    const sent = server.requests.at(-1)!;
    expect(sent.url).toBe('/api/chat');
    expect(sent.body).toEqual({
      model: 'llama3.2',
      stream: true,
      think: true,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Look:', images: ['QUJD'] },
        { role: 'assistant', content: '', tool_calls: [{ function: { name: 'get_weather', arguments: { location: 'Kraków' } } }] },
        { role: 'tool', content: 'sunny', tool_name: 'get_weather' },
      ],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } }],
      options: { num_predict: 64, temperature: 0, stop: ['END'], num_ctx: 8192 },
    });
  });

  it('text: UTF-8 intact, usage from prompt_eval_count / eval_count, finish stop', async () => {
    const parts = await run('text.ndjson');
    expect(parts[0]).toEqual({ type: 'response-metadata', model: 'llama3.2' });
    expect(textOf(parts)).toBe('Ça va, ありがとう 🙂');
    expect(parts.at(-2)).toMatchObject({ type: 'usage', usage: { inputTokens: 26, outputTokens: 12, raw: { eval_duration: 4535599000 } } });
    expect(last(parts)).toEqual({ type: 'finish', reason: 'stop', rawReason: 'stop' });
  });

  it('tool calls across lines (one without arguments) finish as tool-calls', async () => {
    const parts = await run('tool-calls.ndjson');
    expect(parts.filter((p) => p.type === 'tool-call').map((p) => p.type === 'tool-call' && [p.toolName, p.args])).toEqual([
      ['get_weather', { location: 'Kraków' }],
      ['get_time', { tz: 'Europe/Warsaw' }],
      ['list_cities', {}],
    ]);
    expect(last(parts)).toEqual({ type: 'finish', reason: 'tool-calls', rawReason: 'stop' });
  });

  it('gives calls ids unique across a conversation, not call_0 in every response', async () => {
    const provider = make(server.url);
    const ids: string[] = [];
    for (let turn = 0; turn < 2; turn++) {
      server.script({ body: fixture('ollama/tool-calls.ndjson'), headers: { 'content-type': 'application/x-ndjson' } });
      for (const p of await collect(provider.stream(request))) if (p.type === 'tool-call') ids.push(p.toolCallId);
    }
    expect(ids).toHaveLength(6);
    expect(new Set(ids).size).toBe(6);
  });

  it('thinking is streamed as reasoning', async () => {
    const parts = await run('thinking.ndjson');
    expect(parts.filter((p) => p.type === 'reasoning-delta').map((p) => (p.type === 'reasoning-delta' ? p.text : '')).join('')).toBe(
      'Okay, the user asks 2+2. Simple: 4.',
    );
    expect(parts.find((p) => p.type === 'usage')).toMatchObject({ usage: { inputTokens: 15, outputTokens: 61 } });
  });

  it('done_reason length finishes as length', async () => {
    expect(last(await run('length.ndjson'))).toEqual({ type: 'finish', reason: 'length', rawReason: 'length' });
  });

  it('an error line mid-stream is a typed error after the content', async () => {
    const parts = await run('mid-stream-error.ndjson');
    expect(textOf(parts)).toBe('Dzień');
    expect(last(parts)).toMatchObject({ type: 'error', error: { code: 'provider_error', message: expect.stringContaining('unexpected EOF') }, usage: { estimated: true } });
  });

  it('a stream without the done line (cut inside a UTF-8 character) is stream_truncated', async () => {
    const parts = await run('truncated.ndjson');
    expect(textOf(parts)).toBe('Ça va, ');
    expect(last(parts)).toMatchObject({ type: 'error', error: { code: 'stream_truncated' }, usage: { estimated: true } });
  });

  it('a 404 for an unknown model is provider_invalid_request (not retryable)', async () => {
    server.script({ status: 404, body: '{"error":"model \\"nope\\" not found, try pulling it first"}' });
    expect((await collect(make(server.url).stream(request)))[0]).toMatchObject({
      type: 'error',
      error: { code: 'provider_invalid_request', retryable: false, message: expect.stringContaining('not found') },
    });
  });
});
