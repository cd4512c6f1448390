import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenAIChatProvider, type StreamPart } from '@twin/core';
import { collect, last, textOf } from './collect';
import { replayAtRandomSplits } from './replay';
import { fixture, startTranscriptServer, type TranscriptServer } from './transcript-server';

let server: TranscriptServer;
beforeAll(async () => {
  server = await startTranscriptServer();
});
afterAll(() => server.close());

const request = { model: 'qwen3:8b', maxTokens: 50, messages: [{ role: 'user' as const, content: 'Grüß mich' }] };

describe('OpenAI-compatible servers by base URL (Ollama /v1, vLLM, LM Studio)', () => {
  it('talks to {baseURL}/chat/completions without a key, with max_tokens when asked', async () => {
    server.script({ body: fixture('openai-chat/compatible-no-usage.sse') });
    const provider = createOpenAIChatProvider({ name: 'ollama-v1', baseURL: `${server.url}/v1`, maxTokensField: 'max_tokens' });
    await collect(provider.stream(request));
    const sent = server.requests.at(-1)!;
    expect(sent.url).toBe('/v1/chat/completions');
    expect(sent.headers.authorization).toBeUndefined();
    expect(sent.body).toMatchObject({ model: 'qwen3:8b', max_tokens: 50, stream_options: { include_usage: true } });
  });

  it('reads `reasoning` deltas, and estimates usage (flagged) when the server sends none', async () => {
    const bytes = fixture('openai-chat/compatible-no-usage.sse');
    const make = (baseURL: string, fetch?: typeof globalThis.fetch) =>
      createOpenAIChatProvider({ name: 'ollama-v1', baseURL, ...(fetch ? { env: { fetch } } : {}) });
    server.script({ body: bytes, maxChunk: 32 });
    const parts: StreamPart[] = await collect(make(`${server.url}/v1`).stream(request));
    expect(parts).toEqual(await replayAtRandomSplits(bytes, (fetch) => collect(make('http://fixture.invalid/v1', fetch).stream(request))));
    expect(parts.filter((p) => p.type === 'reasoning-delta').map((p) => (p.type === 'reasoning-delta' ? p.text : '')).join('')).toBe('Denke nach… fertig.');
    expect(textOf(parts)).toBe('Schöne Grüße');
    const usage = parts.find((p) => p.type === 'usage');
    expect(usage).toMatchObject({
      usage: { estimated: true, outputTokens: countTokens('Schöne GrüßeDenke nach… fertig.'), reasoningTokens: countTokens('Denke nach… fertig.') },
    });
    expect(last(parts)).toEqual({ type: 'finish', reason: 'stop', rawReason: 'stop' });
  });
});
