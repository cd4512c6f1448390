import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createAnthropicProvider,
  createFallbackProvider,
  createGeminiProvider,
  createOllamaProvider,
  createOpenAIChatProvider,
  createOpenAIResponsesProvider,
  withRetry,
  type Provider,
  type StreamPart,
} from '@twin/core';
import { last, textOf } from './collect';
import { fixture, startTranscriptServer, type TranscriptServer } from './transcript-server';

let server: TranscriptServer;
beforeAll(async () => {
  server = await startTranscriptServer();
});
afterAll(() => server.close());

const request = { model: 'm', messages: [{ role: 'user' as const, content: 'Tell me everything.' }] };

/** The first `n` bytes of a fixture: some content, no end, so the server then holds the connection. */
const head = (path: string, until: string) => {
  const bytes = fixture(path);
  const text = new TextDecoder().decode(bytes);
  return new TextEncoder().encode(text.slice(0, text.indexOf(until) + until.length) + '\n\n');
};

const cases: Array<[string, () => Provider, Uint8Array]> = [
  ['openai chat (sdk)', () => createOpenAIChatProvider({ client: new OpenAI({ apiKey: 'k', baseURL: `${server.url}/v1`, maxRetries: 0 }) }), head('openai-chat/text.sse', '"content":"Héllo"},"logprobs":null,"finish_reason":null}],"usage":null}')],
  ['openai chat (fetch)', () => createOpenAIChatProvider({ baseURL: `${server.url}/v1` }), head('openai-chat/text.sse', '"content":"Héllo"},"logprobs":null,"finish_reason":null}],"usage":null}')],
  ['openai responses (sdk)', () => createOpenAIResponsesProvider({ client: new OpenAI({ apiKey: 'k', baseURL: `${server.url}/v1`, maxRetries: 0 }) }), head('openai-responses/text.sse', '"delta":"Hej då","sequence_number":4}')],
  ['anthropic (sdk)', () => createAnthropicProvider({ client: new Anthropic({ apiKey: 'k', baseURL: server.url, maxRetries: 0 }) }), head('anthropic/text.sse', '"text":"Grüß Gott"}}')],
  ['anthropic (fetch)', () => createAnthropicProvider({ baseURL: server.url }), head('anthropic/text.sse', '"text":"Grüß Gott"}}')],
  ['gemini', () => createGeminiProvider({ baseURL: server.url }), head('gemini/text.sse', '"responseId":"mG5YaeqhBoCtkdUP6NrS4Qg"}')],
];

describe('abort (end to end over HTTP)', () => {
  it.each(cases)('%s: aborting cancels the upstream request — the server sees the connection close', async (_label, make, bytes) => {
    server.script({ body: bytes, hang: true });
    const controller = new AbortController();
    const parts: StreamPart[] = [];
    for await (const part of make().stream(request, { signal: controller.signal })) {
      parts.push(part);
      if (part.type === 'text-delta') controller.abort();
    }
    expect(await server.requests.at(-1)!.closed).toEqual({ completed: false });
    const end = last(parts);
    expect(end).toMatchObject({ type: 'error', error: { code: 'aborted', retryable: false } });
    // No usage from the provider: counted with the tokenizer and flagged.
    expect(end.type === 'error' && end.usage).toMatchObject({ estimated: true, outputTokens: countTokens(textOf(parts)) });
  });

  it('ollama: aborting closes the NDJSON connection', async () => {
    const bytes = new TextEncoder().encode(new TextDecoder().decode(fixture('ollama/text.ndjson')).split('\n')[0] + '\n');
    server.script({ body: bytes, hang: true });
    const controller = new AbortController();
    const parts: StreamPart[] = [];
    for await (const part of createOllamaProvider({ baseURL: server.url }).stream(request, { signal: controller.signal })) {
      parts.push(part);
      if (part.type === 'text-delta') controller.abort();
    }
    expect(await server.requests.at(-1)!.closed).toEqual({ completed: false });
    expect(last(parts)).toMatchObject({ type: 'error', error: { code: 'aborted' } });
  });

  it('a consumer that stops reading (break) through fallback and retry wrappers also closes the connection', async () => {
    server.script({ body: head('openai-chat/text.sse', '"content":"Héllo"},"logprobs":null,"finish_reason":null}],"usage":null}'), hang: true });
    const provider = createFallbackProvider([{ provider: withRetry(createOpenAIChatProvider({ baseURL: `${server.url}/v1` })) }]);
    for await (const part of provider.stream(request)) {
      if (part.type === 'text-delta') break;
    }
    expect(await server.requests.at(-1)!.closed).toEqual({ completed: false });
  });
});
