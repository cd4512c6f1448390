import type { Provider, ProviderRequest, StreamPart } from '@twin/core';

/**
 * A provider whose every content part waits for the test to release it: proves events are
 * delivered one by one (nothing waits in a buffer or compressor for more input), and records
 * whether the caller aborted it.
 */
export function createGatedProvider(parts: string[]) {
  const gates: Array<() => void> = [];
  const waiting: Array<Promise<void>> = parts.map((_, i) => new Promise<void>((resolve) => (gates[i] = resolve)));
  const state = { aborted: false, emitted: 0 };
  const provider: Provider = {
    name: 'gated',
    defaultModel: 'gate-1',
    async *stream(_request: ProviderRequest, options = {}): AsyncGenerator<StreamPart> {
      const signal = options.signal;
      for (let i = 0; i < parts.length; i++) {
        if (i > 0) {
          await Promise.race([waiting[i], new Promise<void>((r) => signal?.addEventListener('abort', () => r(), { once: true }))]);
        }
        if (signal?.aborted) {
          state.aborted = true;
          yield { type: 'error', error: { code: 'aborted', message: 'aborted', retryable: false }, usage: { inputTokens: 3, outputTokens: i, estimated: true } };
          return;
        }
        yield { type: 'text-delta', text: parts[i]! };
        state.emitted++;
      }
      yield { type: 'usage', usage: { inputTokens: 3, outputTokens: parts.length } };
      yield { type: 'finish', reason: 'stop' };
    },
  };
  return { provider, state, release: (i: number) => gates[i]?.() };
}

/** Yields 64 KiB text parts as fast as it is pulled until aborted: a firehose for slow-client tests. */
export function createFirehoseProvider() {
  const state = { aborted: false, bytes: 0 };
  const block = 'x'.repeat(65_536);
  const provider: Provider = {
    name: 'firehose',
    defaultModel: 'hose-1',
    async *stream(_request, options = {}): AsyncGenerator<StreamPart> {
      options.signal?.addEventListener('abort', () => (state.aborted = true), { once: true });
      for (;;) {
        if (options.signal?.aborted) {
          state.aborted = true;
          yield { type: 'error', error: { code: 'aborted', message: 'aborted', retryable: false } };
          return;
        }
        state.bytes += block.length;
        yield { type: 'text-delta', text: block };
        // Let timers and socket events run between parts, as a real network provider would.
        await new Promise((r) => setImmediate(r));
      }
    },
  };
  return { provider, state };
}
