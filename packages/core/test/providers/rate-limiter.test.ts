import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFallbackProvider, createOpenAIChatProvider, createSimulatedProvider, withRateLimit, withRetry } from '@twin/core';
import { collect, last, textOf } from './collect';
import { fixture, startTranscriptServer, type TranscriptServer } from './transcript-server';

let server: TranscriptServer;
beforeAll(async () => {
  server = await startTranscriptServer();
});
afterAll(() => server.close());

const request = { model: 'gpt-4o', messages: [{ role: 'user' as const, content: 'hi' }] };

describe('rate limits (end to end over HTTP)', () => {
  it('requests per minute: the request over the limit is not sent and the error says which limit and when', async () => {
    let now = 0;
    const provider = withRateLimit(createOpenAIChatProvider({ baseURL: `${server.url}/v1` }), { requestsPerMinute: 2, env: { now: () => now } });
    server.script({ body: fixture('openai-chat/text.sse') }, { body: fixture('openai-chat/text.sse') }, { body: fixture('openai-chat/text.sse') });
    const before = server.requests.length;
    await collect(provider.stream(request));
    await collect(provider.stream(request));
    const limited = await collect(provider.stream(request));
    expect(limited).toEqual([
      {
        type: 'error',
        error: expect.objectContaining({ code: 'rate_limited', retryable: true, provider: 'openai', retryAfterMs: 30_000, message: expect.stringContaining('2 requests per minute') }),
      },
    ]);
    expect(server.requests.length - before).toBe(2);
    now = 30_000;
    expect(last(await collect(provider.stream(request)))).toMatchObject({ type: 'finish' });
    expect(server.requests.length - before).toBe(3);
  });

  it('tokens per minute: charged with the prompt estimate, settled with reported usage', async () => {
    let now = 0;
    // text.sse reports 19 prompt + 10 completion tokens.
    const provider = withRateLimit(createOpenAIChatProvider({ baseURL: `${server.url}/v1` }), { tokensPerMinute: 40, env: { now: () => now } });
    server.script({ body: fixture('openai-chat/text.sse') });
    await collect(provider.stream(request));
    const limited = await collect(provider.stream({ ...request, messages: [{ role: 'user', content: 'x'.repeat(80) }] }));
    expect(limited[0]).toMatchObject({ type: 'error', error: { code: 'rate_limited', message: expect.stringContaining('40 tokens per minute') } });
    now = 60_000;
    server.script({ body: fixture('openai-chat/text.sse') });
    expect(last(await collect(provider.stream(request)))).toMatchObject({ type: 'finish' });
  });

  it('composes: retry waits out the limit; a fallback chain moves to the next provider', async () => {
    let now = 0;
    const sleeps: number[] = [];
    const limited = withRateLimit(createSimulatedProvider({ text: 'sim', tokensPerSecond: Infinity }), { requestsPerMinute: 1, env: { now: () => now } });
    const retried = withRetry(limited, { maxDelayMs: 120_000, env: { sleep: async (ms) => { sleeps.push(ms); now += ms; } } });
    await collect(retried.stream(request));
    expect(textOf(await collect(retried.stream(request)))).toBe('sim');
    expect(sleeps).toEqual([60_000]);
    const chain = createFallbackProvider([{ provider: limited }, { provider: createSimulatedProvider({ name: 'other', text: 'other', tokensPerSecond: Infinity }) }]);
    expect(textOf(await collect(chain.stream(request)))).toBe('other');
  });
});
