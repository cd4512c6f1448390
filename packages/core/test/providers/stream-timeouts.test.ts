import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenAIChatProvider, createSimulatedProvider, withRetry, withTimeouts, type StreamPart } from '@twin/core';
import { collect, last, textOf } from './collect';
import { fixture, startTranscriptServer, type TranscriptServer } from './transcript-server';

let server: TranscriptServer;
beforeAll(async () => {
  server = await startTranscriptServer();
});
afterAll(() => server.close());

const request = { model: 'gpt-4o', messages: [{ role: 'user' as const, content: 'hi' }] };
const firstEvents = (() => {
  const text = new TextDecoder().decode(fixture('openai-chat/text.sse'));
  return new TextEncoder().encode(text.split('\n\n').slice(0, 2).join('\n\n') + '\n\n');
})();

describe('stream time limits (end to end over HTTP)', () => {
  it('a stream that stalls mid-way ends with stream_stalled and usage, and its connection is closed', async () => {
    server.script({ body: firstEvents, hang: true });
    const provider = withTimeouts(createOpenAIChatProvider({ baseURL: `${server.url}/v1` }), { idleTimeoutMs: 150 });
    const parts = await collect(provider.stream(request));
    expect(textOf(parts)).toBe('Héllo');
    expect(last(parts)).toMatchObject({ type: 'error', error: { code: 'stream_stalled', retryable: true, provider: 'openai' }, usage: { estimated: true } });
    expect(await server.requests.at(-1)!.closed).toEqual({ completed: false });
  });

  it('no content before the first-token limit is provider_timeout, which withRetry retries', async () => {
    server.script({ body: fixture('openai-chat/text.sse'), delayMs: 2_000 }, { body: fixture('openai-chat/text.sse') });
    const provider = withRetry(withTimeouts(createOpenAIChatProvider({ baseURL: `${server.url}/v1` }), { firstTokenTimeoutMs: 150 }), {
      env: { sleep: async () => undefined },
    });
    const parts = await collect(provider.stream(request));
    expect(textOf(parts)).toBe('Héllo wörld — 日本語 🎉!');
    expect(await server.requests.at(-2)!.closed).toEqual({ completed: false });
  });

  it('streams that keep flowing are untouched; a caller abort stays an abort', async () => {
    const provider = withTimeouts(createSimulatedProvider({ text: 'a b c d', tokensPerSecond: 100 }), { firstTokenTimeoutMs: 1_000, idleTimeoutMs: 1_000 });
    expect(last(await collect(provider.stream(request)))).toMatchObject({ type: 'finish' });
    const stalled = withTimeouts(createSimulatedProvider({ text: 'a b c', tokensPerSecond: Infinity, failure: { kind: 'stall', afterTokens: 1 } }), { idleTimeoutMs: 60_000 });
    const controller = new AbortController();
    const parts: StreamPart[] = [];
    for await (const part of stalled.stream(request, { signal: controller.signal })) {
      parts.push(part);
      if (part.type === 'text-delta') setTimeout(() => controller.abort(), 10);
    }
    expect(last(parts)).toMatchObject({ type: 'error', error: { code: 'aborted' } });
  });
});
