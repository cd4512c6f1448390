import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFallbackProvider, createOpenAIChatProvider, createSimulatedProvider, withCircuitBreaker, type CircuitState } from '@twin/core';
import { collect, last, textOf } from './collect';
import { fixture, startTranscriptServer, type TranscriptServer } from './transcript-server';

let server: TranscriptServer;
beforeAll(async () => {
  server = await startTranscriptServer();
});
afterAll(() => server.close());

const request = { model: 'gpt-4o', messages: [{ role: 'user' as const, content: 'hi' }] };

describe('circuit breaker (end to end over HTTP)', () => {
  it('opens after consecutive failures, fails fast without calling the provider, then closes after a good trial', async () => {
    let now = 0;
    const states: CircuitState[] = [];
    const provider = withCircuitBreaker(createOpenAIChatProvider({ baseURL: `${server.url}/v1` }), {
      failureThreshold: 2,
      resetTimeoutMs: 10_000,
      env: { now: () => now },
      onStateChange: (s) => states.push(s),
    });
    server.script({ status: 503, body: '{}' }, { status: 500, body: '{}' });
    await collect(provider.stream(request));
    expect(provider.state()).toBe('closed');
    await collect(provider.stream(request));
    expect(provider.state()).toBe('open');

    const before = server.requests.length;
    now = 4_000;
    const fast = await collect(provider.stream(request));
    expect(fast).toEqual([
      { type: 'error', error: expect.objectContaining({ code: 'circuit_open', retryable: true, provider: 'openai', retryAfterMs: 6_000 }) },
    ]);
    expect(server.requests.length).toBe(before);

    now = 10_000;
    expect(provider.state()).toBe('half-open');
    server.script({ body: fixture('openai-chat/text.sse') });
    expect(last(await collect(provider.stream(request)))).toMatchObject({ type: 'finish' });
    expect(provider.state()).toBe('closed');
    expect(states).toEqual(['open', 'half-open', 'closed']);
  });

  it('a failed half-open trial opens the circuit again; caller mistakes do not count', async () => {
    let now = 0;
    const provider = withCircuitBreaker(createOpenAIChatProvider({ baseURL: `${server.url}/v1` }), {
      failureThreshold: 1,
      resetTimeoutMs: 1_000,
      env: { now: () => now },
    });
    server.script({ status: 400, body: '{"error":{"message":"bad"}}' });
    await collect(provider.stream(request));
    expect(provider.state()).toBe('closed');
    server.script({ status: 503, body: '{}' }, { status: 503, body: '{}' });
    await collect(provider.stream(request));
    expect(provider.state()).toBe('open');
    now = 1_000;
    await collect(provider.stream(request));
    expect(provider.state()).toBe('open');
  });

  it('an open circuit makes a fallback chain move on at once', async () => {
    const flaky = withCircuitBreaker(createSimulatedProvider({ name: 'flaky', failure: { kind: 'error-before-first-token' } }), { failureThreshold: 1 });
    const chain = createFallbackProvider([{ provider: flaky }, { provider: createSimulatedProvider({ name: 'backup', text: 'ok', tokensPerSecond: Infinity }) }]);
    await collect(chain.stream(request));
    const codes: string[] = [];
    const parts = await collect(chain.stream(request, { onAttempt: (a) => a.error && codes.push(a.error.code) }));
    expect(codes).toEqual(['circuit_open']);
    expect(textOf(parts)).toBe('ok');
  });
});
