import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson, createOpenAIChatProvider, responseCacheKey, withResponseCache } from '@twin/core';
import { collect, last } from './collect';
import { fixture, startTranscriptServer, type TranscriptServer } from './transcript-server';

let server: TranscriptServer;
beforeAll(async () => {
  server = await startTranscriptServer();
});
afterAll(() => server.close());

const request = { model: 'gpt-4o', temperature: 0, messages: [{ role: 'user' as const, content: 'What is Twin?' }] };

describe('response cache (end to end over HTTP)', () => {
  it('replays an identical temperature-0 request without calling the provider', async () => {
    const hits: string[] = [];
    const provider = withResponseCache(createOpenAIChatProvider({ baseURL: `${server.url}/v1` }), { onHit: (k) => hits.push(k) });
    server.script({ body: fixture('openai-chat/text.sse') });
    const before = server.requests.length;
    const first = await collect(provider.stream(request));
    const second = await collect(provider.stream({ messages: request.messages, temperature: 0, model: 'gpt-4o' }));
    expect(second).toEqual(first);
    expect(server.requests.length - before).toBe(1);
    expect(hits).toEqual([responseCacheKey('openai', request)]);
  });

  it('does not cache sampled requests, different requests, or failed streams', async () => {
    const provider = withResponseCache(createOpenAIChatProvider({ baseURL: `${server.url}/v1` }));
    const before = server.requests.length;
    for (let i = 0; i < 2; i++) {
      server.script({ body: fixture('openai-chat/text.sse') });
      await collect(provider.stream({ ...request, temperature: 0.7 }));
    }
    server.script({ body: fixture('openai-chat/truncated.sse') }, { body: fixture('openai-chat/text.sse') });
    expect(last(await collect(provider.stream({ ...request, maxTokens: 5 })))).toMatchObject({ type: 'error' });
    expect(last(await collect(provider.stream({ ...request, maxTokens: 5 })))).toMatchObject({ type: 'finish' });
    expect(server.requests.length - before).toBe(4);
  });

  it('an abort during a replay ends it with an aborted error', async () => {
    const provider = withResponseCache(createOpenAIChatProvider({ baseURL: `${server.url}/v1` }));
    const cached = { ...request, messages: [{ role: 'user' as const, content: 'replay me' }] };
    server.script({ body: fixture('openai-chat/text.sse') });
    await collect(provider.stream(cached));
    const controller = new AbortController();
    const parts = [];
    for await (const part of provider.stream(cached, { signal: controller.signal })) {
      parts.push(part);
      if (part.type === 'text-delta') controller.abort();
    }
    expect(last(parts)).toMatchObject({ type: 'error', error: { code: 'aborted' } });
  });

  it('keys by a sha256 of the normalised request, independent of key order', () => {
    const a = responseCacheKey('openai', { model: 'm', temperature: 0, messages: [{ role: 'user', content: 'x' }], providerOptions: { a: 1, b: 2 } });
    const b = responseCacheKey('openai', { providerOptions: { b: 2, a: 1 }, messages: [{ content: 'x', role: 'user' }], temperature: 0, model: 'm' });
    expect(a).toBe(b);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(responseCacheKey('anthropic', { model: 'm', temperature: 0, messages: [{ role: 'user', content: 'x' }] })).not.toBe(a);
    expect(canonicalJson({ b: [1, { d: 1, c: undefined }], a: null })).toBe('{"a":null,"b":[1,{"d":1}]}');
  });
});
