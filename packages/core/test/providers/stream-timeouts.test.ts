import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createOpenAIChatProvider, createSimulatedProvider, withRetry, withTimeouts, type StreamPart } from '@twin/core';
import { collect, last, textOf } from './collect';
import { firstSleepExpires } from './first-sleep-expires';
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
    // The first attempt's limit passes once its request reached the server; the retry's never does.
    const before = server.requests.length;
    const env = firstSleepExpires(() => server.requests.length > before);
    const provider = withRetry(withTimeouts(createOpenAIChatProvider({ baseURL: `${server.url}/v1` }), { firstTokenTimeoutMs: 150, env }), {
      env: { sleep: async () => undefined },
    });
    const parts = await collect(provider.stream(request));
    expect(textOf(parts)).toBe('Héllo wörld — 日本語 🎉!');
    expect(await server.requests.at(-2)!.closed).toEqual({ completed: false });
  });

  it('streams that keep flowing are untouched; a caller abort stays an abort', async () => {
    // On fake timers: 21 tokens 10 ms apart flow for 200 ms, four times the 50 ms idle limit, and
    // the limit never trips. The same stream with a 5 ms limit trips (the contrast), whatever the load.
    vi.useFakeTimers();
    try {
      const flowing = (idleTimeoutMs: number) =>
        collect(withTimeouts(createSimulatedProvider({ outputTokens: 21, tokensPerSecond: 100 }), { firstTokenTimeoutMs: 50, idleTimeoutMs }).stream(request));
      const untouched = flowing(50);
      await vi.runAllTimersAsync();
      expect(last(await untouched)).toMatchObject({ type: 'finish' });
      const tripped = flowing(5);
      await vi.runAllTimersAsync();
      expect(last(await tripped)).toMatchObject({ type: 'error', error: { code: 'stream_stalled' } });
    } finally {
      vi.useRealTimers();
    }
    const stalled = withTimeouts(createSimulatedProvider({ text: 'a b c', tokensPerSecond: Infinity, failure: { kind: 'stall', afterTokens: 1 } }), { idleTimeoutMs: 60_000 });
    const controller = new AbortController();
    const parts: StreamPart[] = [];
    for await (const part of stalled.stream(request, { signal: controller.signal })) {
      parts.push(part);
      // Aborted while the inner stream is parked in its stall (the next read waits on it).
      if (part.type === 'text-delta') setImmediate(() => controller.abort());
    }
    expect(last(parts)).toMatchObject({ type: 'error', error: { code: 'aborted' } });
  });
});
