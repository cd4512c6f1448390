import { createSimulatedProvider, createStreamSession, type Provider, type StreamEvent, type StreamPart } from '@twin/core';
import { describe, expect, it } from 'vitest';
import type { LiveStream, LiveStreamInit } from './live-stream';
import { pumpProvider } from './pump-provider';
import { beginWake, endWake } from '../providers/wake-clock';
import type { StopReason } from './stop-reason';

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

  it("times the parts a slot's wake hands over with the wake's time (one clock read per slot)", async () => {
    const text = (t: string): StreamPart => ({ type: 'text-delta', text: t });
    let push: ((parts: readonly StreamPart[]) => void) | undefined;
    let finish: (() => void) | undefined;
    const provider: Provider = {
      name: 'woken',
      stream: () => {
        throw new Error('pulled');
      },
      streamParts(_request, _options, onParts) {
        push = onParts;
        return new Promise<void>((resolve) => (finish = resolve));
      },
    };
    const session = createStreamSession({ streamId: 'str_wake', provider: 'woken', model: 'm', now: () => 0 });
    session.start();
    const stream = { lastActivityAt: 0, firstTokenAt: undefined as number | undefined, stop: () => {} };
    const seen: number[] = [];
    const pumping = pumpProvider({
      stream: stream as unknown as LiveStream,
      init: { provider, request } as unknown as LiveStreamInit,
      session,
      budget: undefined,
      abortController: new AbortController(),
      stopReason: () => undefined,
      deliver: () => seen.push(stream.lastActivityAt),
    });
    beginWake(1_234);
    try {
      push!([text('a')]);
    } finally {
      endWake();
    }
    expect(stream.firstTokenAt).toBe(1_234);
    expect(seen).toEqual([1_234]);
    // A part handed over outside a wake: the clock's time.
    const before = Date.now();
    push!([text('b')]);
    expect(stream.lastActivityAt).toBeGreaterThanOrEqual(before);
    finish!();
    await pumping;
  });

  it('reads the stop reason only where a part needs it (an error part to replace, a budget to judge), not per delta', async () => {
    const text = (t: string): StreamPart => ({ type: 'text-delta', text: t });
    const stop: StopReason = { endReason: 'client_abort', status: 'aborted', error: { code: 'aborted', message: 'The client disconnected.', retryable: false } };
    let reads = 0;
    let stopped: StopReason | undefined;
    const provider: Provider = {
      name: 'reads',
      stream: () => {
        throw new Error('pulled');
      },
      async streamParts(_request, _options, onParts) {
        onParts([text('a'), text('b'), text('c')]);
        stopped = stop;
        onParts([{ type: 'error', error: { code: 'aborted', message: 'aborted', retryable: false } }]);
      },
    };
    const session = createStreamSession({ streamId: 'str_reads', provider: 'reads', model: 'm', now: () => 0 });
    const delivered: StreamEvent[] = [...session.start()];
    let readsAtError = -1;
    await pumpProvider({
      stream: { lastActivityAt: 0, firstTokenAt: undefined, stop: () => {} } as unknown as LiveStream,
      init: { provider, request } as unknown as LiveStreamInit,
      session,
      budget: undefined,
      abortController: new AbortController(),
      stopReason: () => {
        reads++;
        if (readsAtError < 0 && stopped) readsAtError = reads;
        return stopped;
      },
      deliver: (events) => delivered.push(...events),
    });
    // None for the three deltas; the error part's reads it and ends with our reason.
    expect(readsAtError).toBe(1);
    expect(delivered.at(-1)).toMatchObject({ type: 'error', data: { code: 'aborted', message: 'The client disconnected.' } });
  });
});
