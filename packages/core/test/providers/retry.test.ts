import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenAIChatProvider, retryDelayMs, withRetry } from '@twin/core';
import { collect, last, textOf } from './collect';
import { fixture, startTranscriptServer, type TranscriptServer } from './transcript-server';

let server: TranscriptServer;
beforeAll(async () => {
  server = await startTranscriptServer();
});
afterAll(() => server.close());

const request = { model: 'gpt-4o', messages: [{ role: 'user' as const, content: 'hi' }] };

/** Records the waits instead of waiting. */
function recordingEnv(random = 0.5) {
  const sleeps: number[] = [];
  return { sleeps, env: { sleep: async (ms: number) => void sleeps.push(ms), random: () => random } };
}

describe('retries (end to end over HTTP)', () => {
  it('retries 503s with exponential backoff and full jitter, then streams the success', async () => {
    const { sleeps, env } = recordingEnv(0.5);
    server.script({ status: 503, body: '{}' }, { status: 502, body: '{}' }, { body: fixture('openai-chat/text.sse') });
    const before = server.requests.length;
    const provider = withRetry(createOpenAIChatProvider({ baseURL: `${server.url}/v1` }), { maxRetries: 3, baseDelayMs: 400, env });
    const parts = await collect(provider.stream(request));
    expect(textOf(parts)).toBe('Héllo wörld — 日本語 🎉!');
    expect(server.requests.length - before).toBe(3);
    expect(sleeps).toEqual([200, 400]); // 0.5 × 400, 0.5 × 800
    // The caller sees one clean attempt: no error parts from the failed ones.
    expect(parts.filter((p) => p.type === 'error')).toEqual([]);
  });

  it('honours Retry-After (never waits less than the provider asked)', async () => {
    const { sleeps, env } = recordingEnv(0);
    server.script({ status: 429, headers: { 'retry-after': '2' }, body: '{}' }, { body: fixture('openai-chat/text.sse') });
    const provider = withRetry(createOpenAIChatProvider({ baseURL: `${server.url}/v1` }), { env });
    expect(last(await collect(provider.stream(request)))).toMatchObject({ type: 'finish' });
    expect(sleeps).toEqual([2000]);
  });

  it('does not wait for a Retry-After beyond maxDelayMs; gives up after maxRetries', async () => {
    const { sleeps, env } = recordingEnv();
    server.script({ status: 429, headers: { 'retry-after': '3600' }, body: '{}' });
    const provider = withRetry(createOpenAIChatProvider({ baseURL: `${server.url}/v1` }), { maxDelayMs: 10_000, env });
    expect(last(await collect(provider.stream(request)))).toMatchObject({ type: 'error', error: { code: 'provider_rate_limited', retryAfterMs: 3_600_000 } });
    expect(sleeps).toEqual([]);
    server.script({ status: 503, body: '{}' }, { status: 503, body: '{}' });
    const once = withRetry(createOpenAIChatProvider({ baseURL: `${server.url}/v1` }), { maxRetries: 1, env });
    expect(last(await collect(once.stream(request)))).toMatchObject({ type: 'error', error: { code: 'provider_overloaded' } });
  });

  it('never retries after content was sent, nor non-retryable errors', async () => {
    const { sleeps, env } = recordingEnv();
    server.script({ body: fixture('openai-chat/mid-stream-error.sse') }, { status: 400, body: '{"error":{"message":"bad"}}' });
    const provider = withRetry(createOpenAIChatProvider({ baseURL: `${server.url}/v1` }), { env });
    const before = server.requests.length;
    expect(textOf(await collect(provider.stream(request)))).toBe('Partial ansẅer');
    expect(last(await collect(provider.stream(request)))).toMatchObject({ type: 'error', error: { code: 'provider_invalid_request' } });
    expect(server.requests.length - before).toBe(2);
    expect(sleeps).toEqual([]);
  });

  it('an abort while waiting to retry ends the stream as aborted', async () => {
    const controller = new AbortController();
    server.script({ status: 503, body: '{}' });
    const provider = withRetry(createOpenAIChatProvider({ baseURL: `${server.url}/v1` }), { baseDelayMs: 60_000, env: { random: () => 1 } });
    setTimeout(() => controller.abort(), 50);
    expect(last(await collect(provider.stream(request, { signal: controller.signal })))).toMatchObject({ type: 'error', error: { code: 'aborted' } });
  });

  it('retryDelayMs caps the exponential window', () => {
    const error = { code: 'provider_overloaded' as const, message: '', retryable: true };
    expect(retryDelayMs(10, error, { baseDelayMs: 500, maxDelayMs: 8_000, random: () => 1 })).toBe(8_000);
    expect(retryDelayMs(1, { ...error, retryAfterMs: 1_500 }, { baseDelayMs: 500, maxDelayMs: 8_000, random: () => 1 })).toBe(1_500);
  });
});
