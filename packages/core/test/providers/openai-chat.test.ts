import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenAIChatProvider, type OpenAIChatClient, type Provider, type StreamPart } from '@twin/core';
import { OpenAIChatChunkMapper } from '@twin/core/internal';
import { collect, last, textOf } from './collect';
import { replayAtRandomSplits } from './replay';
import { fixture, startTranscriptServer, type TranscriptServer } from './transcript-server';

const request = {
  model: 'gpt-4o',
  messages: [
    { role: 'system' as const, content: 'Be brief.' },
    { role: 'user' as const, content: [{ type: 'text' as const, text: 'Weather?' }, { type: 'image' as const, url: 'https://example.com/a.png' }] },
  ],
  tools: [{ name: 'get_weather', parameters: { type: 'object', properties: { location: { type: 'string' } } } }],
  maxTokens: 100,
  temperature: 0,
  stop: ['END'],
  providerOptions: { user: 'u-1' },
};

let server: TranscriptServer;
beforeAll(async () => {
  server = await startTranscriptServer();
});
afterAll(() => server.close());

/** Both ways of reaching OpenAI: the official SDK client, and Twin's own fetch path. */
const modes: Array<[string, (baseURL: string, fetch?: typeof globalThis.fetch) => Provider]> = [
  ['sdk client', (baseURL, fetch) => createOpenAIChatProvider({ client: new OpenAI({ apiKey: 'sk-test', baseURL, maxRetries: 0, ...(fetch ? { fetch } : {}) }) })],
  ['fetch', (baseURL, fetch) => createOpenAIChatProvider({ baseURL, apiKey: 'sk-test', ...(fetch ? { env: { fetch } } : {}) })],
  // A client whose call has no asResponse(): the adapter iterates the SDK's own parsed chunks.
  ['sdk parsed chunks', (baseURL, fetch) => createOpenAIChatProvider({ client: parsedOnly(new OpenAI({ apiKey: 'sk-test', baseURL, maxRetries: 0, ...(fetch ? { fetch } : {}) })) })],
];

/** Hides asResponse() by re-wrapping the SDK's promise. */
function parsedOnly(client: OpenAI): OpenAIChatClient {
  return { chat: { completions: { create: (body, options) => Promise.resolve(client.chat.completions.create(body as never, options)) as unknown as Promise<AsyncIterable<unknown>> } } };
}

/** Serves the fixture from the local HTTP server (random write sizes) and checks split replays agree. */
async function run(name: string, mode: (typeof modes)[number][1]): Promise<StreamPart[]> {
  const bytes = fixture(`openai-chat/${name}`);
  server.script({ body: bytes, maxChunk: 64 });
  const served = await collect(mode(`${server.url}/v1`).stream(request));
  const replayed = await replayAtRandomSplits(bytes, (fetch) => collect(mode('http://fixture.invalid/v1', fetch).stream(request)));
  expect(served).toEqual(replayed);
  return served;
}

describe.each(modes)('OpenAI chat adapter (%s)', (label, mode) => {
  it('sends the normalised request with usage requested in the stream', async () => {
    server.script({ body: fixture('openai-chat/text.sse') });
    await collect(mode(`${server.url}/v1`).stream(request));
    const sent = server.requests.at(-1)!;
    expect(sent.url).toBe('/v1/chat/completions');
    expect(sent.headers.authorization).toBe('Bearer sk-test');
    expect(sent.body).toMatchObject({
      model: 'gpt-4o',
      stream: true,
      stream_options: { include_usage: true },
      max_completion_tokens: 100,
      temperature: 0,
      stop: ['END'],
      user: 'u-1',
      tools: [{ type: 'function', function: { name: 'get_weather' } }],
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'Weather?' }, { type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] },
      ],
    });
  });

  it('text: metadata, UTF-8 text intact, usage, finish stop', async () => {
    const parts = await run('text.sse', mode);
    expect(parts[0]).toEqual({ type: 'response-metadata', id: 'chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG', model: 'gpt-4o-2024-08-06' });
    expect(textOf(parts)).toBe('Héllo wörld — 日本語 🎉!');
    expect(parts.at(-2)).toMatchObject({ type: 'usage', usage: { inputTokens: 19, cacheReadTokens: 0, outputTokens: 10, reasoningTokens: 0 } });
    expect(last(parts)).toEqual({ type: 'finish', reason: 'stop', rawReason: 'stop' });
  });

  it('parallel tool calls with split arguments are assembled and parsed', async () => {
    const parts = await run('tool-calls.sse', mode);
    const starts = parts.filter((p) => p.type === 'tool-call-start');
    expect(starts).toEqual([
      { type: 'tool-call-start', toolCallId: 'call_DdmO9pD3xa9XTPNJ32zg2hcA', index: 0, toolName: 'get_weather' },
      { type: 'tool-call-start', toolCallId: 'call_ABCDEFdmO9pD3xa9XTPNJ32z', index: 1, toolName: 'get_time' },
    ]);
    const calls = parts.filter((p) => p.type === 'tool-call');
    expect(calls.map((c) => c.type === 'tool-call' && c.args)).toEqual([{ location: 'Zürich' }, { tz: 'Europe/Zurich' }]);
    const deltas = parts.filter((p) => p.type === 'tool-call-delta' && p.index === 0).map((p) => (p.type === 'tool-call-delta' ? p.argsTextDelta : ''));
    expect(deltas.join('')).toBe('{"location": "Zürich"}');
    expect(last(parts)).toEqual({ type: 'finish', reason: 'tool-calls', rawReason: 'tool_calls' });
  });

  it('reasoning deltas and cached/reasoning token usage', async () => {
    const parts = await run('reasoning-cached.sse', mode);
    expect(parts.filter((p) => p.type === 'reasoning-delta').map((p) => (p.type === 'reasoning-delta' ? p.text : '')).join('')).toBe(
      'The user wants 2+2. That is 4.',
    );
    const usage = parts.find((p) => p.type === 'usage');
    expect(usage).toMatchObject({ usage: { inputTokens: 2006, cacheReadTokens: 1920, outputTokens: 300, reasoningTokens: 192 } });
    expect(usage?.type === 'usage' && usage.usage.cacheWriteTokens).toBeUndefined();
    expect(usage?.type === 'usage' && usage.usage.raw).toMatchObject({ total_tokens: 2306 });
  });

  it('a refusal is streamed as text and finishes as content-filter (raw reason kept)', async () => {
    const parts = await run('refusal.sse', mode);
    expect(textOf(parts)).toBe("I'm sorry, I can't help with that.");
    // Refusal text is marked, so it can be told from answer text.
    const text = parts.filter((p) => p.type === 'text-delta');
    expect(text.length).toBeGreaterThan(0);
    expect(text.every((p) => p.type === 'text-delta' && p.refusal === true)).toBe(true);
    expect(last(parts)).toEqual({ type: 'finish', reason: 'content-filter', rawReason: 'stop' });
  });

  it('an error event inside the 200 stream becomes a typed error part after the content', async () => {
    const parts = await run('mid-stream-error.sse', mode);
    expect(textOf(parts)).toBe('Partial ansẅer');
    expect(last(parts)).toMatchObject({
      type: 'error',
      error: { code: 'provider_unavailable', retryable: true, provider: 'openai' },
      usage: { estimated: true },
    });
  });

  it('a stream cut before its end is stream_truncated with estimated usage, never a success', async () => {
    const parts = await run('truncated.sse', mode);
    expect(textOf(parts)).toBe('Héllo');
    expect(parts.some((p) => p.type === 'finish')).toBe(false);
    const end = last(parts);
    expect(end).toMatchObject({ type: 'error', error: { code: 'stream_truncated', retryable: true } });
    expect(end.type === 'error' && end.usage).toMatchObject({ estimated: true, outputTokens: expect.any(Number), inputTokens: expect.any(Number) });
  });

  it('a stream cut after its usage chunk but before [DONE] is truncated, with the exact usage kept', async () => {
    const parts = await run('truncated-after-usage.sse', mode);
    const end = last(parts);
    if (label === 'sdk parsed chunks') {
      // The SDK's parsed iterator hides [DONE]; there the chunk with finish_reason is the end (documented).
      expect(end).toMatchObject({ type: 'finish', reason: 'stop' });
      return;
    }
    expect(end).toMatchObject({ type: 'error', error: { code: 'stream_truncated' }, usage: { inputTokens: 19, outputTokens: 10 } });
    expect(end.type === 'error' && end.usage?.estimated).toBeUndefined();
  });

  it('a connection destroyed mid-stream is stream_truncated', async () => {
    server.script({ body: fixture('openai-chat/truncated.sse'), destroy: true });
    const parts = await collect(mode(`${server.url}/v1`).stream(request));
    expect(last(parts)).toMatchObject({ type: 'error', error: { code: 'stream_truncated' } });
  });

  it('HTTP 429 with Retry-After is provider_rate_limited with retryAfterMs; quota exhaustion is not retryable', async () => {
    server.script(
      { status: 429, headers: { 'retry-after': '3' }, body: '{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}' },
      { status: 429, body: '{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}' },
    );
    const limited = await collect(mode(`${server.url}/v1`).stream(request));
    expect(limited).toHaveLength(1);
    expect(limited[0]).toMatchObject({ type: 'error', error: { code: 'provider_rate_limited', retryable: true, retryAfterMs: 3000 } });
    const quota = await collect(mode(`${server.url}/v1`).stream(request));
    expect(quota[0]).toMatchObject({ type: 'error', error: { code: 'provider_rate_limited', retryable: false } });
  });

  it('5xx and 401 map to their codes; an unreachable server is network_error', async () => {
    server.script({ status: 503, body: '{"error":{"message":"overloaded"}}' }, { status: 401, body: '{"error":{"message":"bad key"}}' });
    expect((await collect(mode(`${server.url}/v1`).stream(request)))[0]).toMatchObject({ error: { code: 'provider_overloaded' } });
    const auth = (await collect(mode(`${server.url}/v1`).stream(request)))[0];
    expect(auth).toMatchObject({ error: { code: 'provider_auth', retryable: false } });
    expect(JSON.stringify(auth)).not.toContain('sk-test');
    const down = await collect(mode('http://127.0.0.1:1/v1').stream(request));
    expect(down[0]).toMatchObject({ type: 'error', error: { code: 'network_error', retryable: true } });
  });
});

describe('OpenAI chat chunk mapper', () => {
  it('streams only the first choice when n > 1 interleaves choices', () => {
    const mapper = new OpenAIChatChunkMapper('openai');
    const out: StreamPart[] = [];
    mapper.map({ id: 'x', choices: [{ index: 0, delta: { content: 'A' } }] }, out);
    mapper.map({ id: 'x', choices: [{ index: 1, delta: { content: 'B' } }] }, out);
    expect(textOf(out)).toBe('A');
  });
});
