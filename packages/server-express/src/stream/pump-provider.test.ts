import { createSimulatedProvider, createStreamSession, type Provider, type StreamEvent, type StreamPart } from '@twin/core';
import { describe, expect, it } from 'vitest';
import type { LiveStream, LiveStreamInit } from './live-stream';
import { pumpProvider } from './pump-provider';

const request = { messages: [{ role: 'user' as const, content: 'hello' }] };

/** Runs the pump over `provider` with a real session; returns what it delivered and its result. */
async function pumped(provider: Provider) {
  const session = createStreamSession({ streamId: 'str_pump', provider: provider.name, model: 'm', now: () => 0 });
  const delivered: StreamEvent[] = [...session.start()];
  const abortController = new AbortController();
  const stream = { lastActivityAt: 0, firstTokenAt: undefined, stop: () => {} } as unknown as LiveStream;
  const init = { provider, request } as unknown as LiveStreamInit;
  const result = await pumpProvider({
    stream,
    init,
    session,
    budget: undefined,
    abortController,
    stopReason: () => undefined,
    deliver: (events) => delivered.push(...events),
  });
  return { delivered, closed: result.closed, aborted: abortController.signal.aborted, firstTokenAt: stream.firstTokenAt };
}

/** Only the pull entry point of `provider`. */
const pullOnly = (provider: Provider): Provider => ({ name: provider.name, stream: (req, options) => provider.stream(req, options) });

describe('pumpProvider', () => {
  it('delivers the same events from a pushed provider (streamParts) as from the same provider pulled', async () => {
    for (const options of [{ outputTokens: 6 }, { outputTokens: 6, failure: { kind: 'mid-stream-error' as const, afterTokens: 2 } }]) {
      const pushed = await pumped(createSimulatedProvider({ ...options, tokensPerSecond: Infinity }));
      const pulled = await pumped(pullOnly(createSimulatedProvider({ ...options, tokensPerSecond: Infinity })));
      expect(pushed.delivered).toEqual(pulled.delivered);
      expect(pushed.closed).toBe(pulled.closed);
      expect(pushed.firstTokenAt).toBeTypeOf('number');
    }
  });

  it('ignores what a pushed provider still hands over once the stream ended, and aborts it', async () => {
    const text = (t: string): StreamPart => ({ type: 'text-delta', text: t });
    let signal: AbortSignal | undefined;
    const provider: Provider = {
      name: 'late',
      stream: () => {
        throw new Error('pulled');
      },
      async streamParts(_request, options, onParts) {
        signal = options.signal;
        onParts([text('a'), { type: 'error', error: { code: 'provider_overloaded', message: 'busy', retryable: true } }, text('b')]);
        onParts([text('c')]);
      },
    };
    const { delivered, closed, aborted } = await pumped(provider);
    expect(closed).toBe(true);
    expect(aborted).toBe(true);
    expect(signal?.aborted).toBe(true);
    expect(delivered.map((e) => e.type)).toEqual(['start', 'chunk', 'error']);
  });

  it('ends the stream with a provider_error when the push path throws', async () => {
    const provider: Provider = {
      name: 'broken',
      stream: () => {
        throw new Error('pulled');
      },
      streamParts: () => Promise.reject(new Error('bug')),
    };
    const { delivered, closed } = await pumped(provider);
    expect(closed).toBe(true);
    expect(delivered.at(-1)).toMatchObject({ type: 'error', data: { code: 'provider_error' } });
  });
});
