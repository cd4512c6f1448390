import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createAnthropicProvider,
  createFallbackProvider,
  createOpenAIChatProvider,
  type ProviderAttempt,
  type ProviderEnvironment,
} from '@twin/core';
import { collect, last, textOf } from './collect';
import { firstSleepExpires } from './first-sleep-expires';
import { fixture, startTranscriptServer, type TranscriptServer } from './transcript-server';

let a: TranscriptServer;
let b: TranscriptServer;
beforeAll(async () => {
  [a, b] = await Promise.all([startTranscriptServer(), startTranscriptServer()]);
});
afterAll(async () => {
  await Promise.all([a.close(), b.close()]);
});

const request = { model: 'gpt-4o', messages: [{ role: 'user' as const, content: 'hi' }] };
const chain = (firstTokenTimeoutMs?: number, aURL = `${a.url}/v1`, env?: Partial<ProviderEnvironment>) =>
  createFallbackProvider(
    [
      { provider: createOpenAIChatProvider({ baseURL: aURL, apiKey: 'sk-a' }) },
      { provider: createAnthropicProvider({ baseURL: b.url, apiKey: 'sk-b', defaultModel: 'claude-haiku-4-5' }) },
    ],
    { firstTokenTimeoutMs, ...(env ? { env } : {}) },
  );

describe('fallback chain (end to end over HTTP)', () => {
  it('switches when the first provider is rate limited, records who served and why the other was skipped', async () => {
    a.script({ status: 429, headers: { 'retry-after': '20' }, body: '{"error":{"message":"slow down","type":"requests"}}' });
    b.script({ body: fixture('anthropic/text.sse') });
    const attempts: ProviderAttempt[] = [];
    const parts = await collect(chain().stream(request, { onAttempt: (x) => attempts.push(x) }));
    expect(textOf(parts)).toBe('Grüß Gott — こんにちは 👋');
    expect(parts[0]).toMatchObject({ type: 'response-metadata', provider: 'anthropic', model: 'claude-sonnet-4-5-20250929' });
    expect(attempts).toEqual([
      { provider: 'openai', model: 'gpt-4o', outcome: 'skipped', error: expect.objectContaining({ code: 'provider_rate_limited', retryAfterMs: 20_000 }) },
      { provider: 'anthropic', model: 'claude-haiku-4-5', outcome: 'served' },
    ]);
    // The second provider is asked for its own model, not the first one's.
    expect(b.requests.at(-1)!.body).toMatchObject({ model: 'claude-haiku-4-5' });
    expect(last(parts)).toMatchObject({ type: 'finish' });
  });

  it('switches on overload (503), 5xx and network errors', async () => {
    a.script({ status: 503, body: '{}' });
    b.script({ body: fixture('anthropic/text.sse') });
    expect(last(await collect(chain().stream(request)))).toMatchObject({ type: 'finish' });
    b.script({ body: fixture('anthropic/text.sse') });
    const attempts: ProviderAttempt[] = [];
    await collect(chain(undefined, 'http://127.0.0.1:1/v1').stream(request, { onAttempt: (x) => attempts.push(x) }));
    expect(attempts[0]).toMatchObject({ outcome: 'skipped', error: { code: 'network_error' } });
  });

  it('switches when time to first token is exceeded, and closes the slow connection', async () => {
    a.script({ body: fixture('openai-chat/text.sse'), delayMs: 2_000 });
    b.script({ body: fixture('anthropic/text.sse') });
    const attempts: ProviderAttempt[] = [];
    // The first provider's limit passes once its request arrived; the second's never does.
    const before = a.requests.length;
    const env = firstSleepExpires(() => a.requests.length > before);
    const parts = await collect(chain(150, undefined, env).stream(request, { onAttempt: (x) => attempts.push(x) }));
    expect(attempts[0]).toMatchObject({ provider: 'openai', outcome: 'skipped', error: { code: 'provider_timeout' } });
    expect(textOf(parts)).toBe('Grüß Gott — こんにちは 👋');
    expect(await a.requests.at(-1)!.closed).toEqual({ completed: false });
  });

  it('after content was sent, a failure is an error part with usage — no silent switch that would repeat text', async () => {
    a.script({ body: fixture('openai-chat/mid-stream-error.sse') });
    const before = b.requests.length;
    const parts = await collect(chain().stream(request));
    expect(textOf(parts)).toBe('Partial ansẅer');
    expect(last(parts)).toMatchObject({ type: 'error', error: { code: 'provider_unavailable' }, usage: { estimated: true } });
    expect(b.requests.length).toBe(before);
  });

  it('does not switch on a caller mistake (401): the error is returned as is', async () => {
    a.script({ status: 401, body: '{"error":{"message":"invalid key"}}' });
    const before = b.requests.length;
    const parts = await collect(chain().stream(request));
    expect(parts).toEqual([
      { type: 'response-metadata', provider: 'openai', model: 'gpt-4o' },
      expect.objectContaining({ type: 'error', error: expect.objectContaining({ code: 'provider_auth' }) }),
    ]);
    expect(b.requests.length).toBe(before);
  });

  it('when every provider fails, the last error says what was tried', async () => {
    a.script({ status: 503, body: '{}' });
    b.script({ status: 529, body: '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}' });
    const end = last(await collect(chain().stream(request)));
    expect(end).toMatchObject({ type: 'error', error: { code: 'provider_overloaded', provider: 'anthropic' } });
    expect(end.type === 'error' && end.error.message).toContain('after falling back from openai: provider_overloaded');
  });
});
