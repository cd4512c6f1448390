import { createSimulatedProvider, type ProviderAttempt, type Provider } from '@twin/core';
import { describe, expect, it } from 'vitest';
import { recordAttempts } from './record-attempts';

const request = { messages: [{ role: 'user' as const, content: 'hello' }] };
const attempt: ProviderAttempt = { provider: 'a', model: 'm', outcome: 'served' };

/** A provider that reports one attempt through whichever entry point is called. */
function reporting(): Provider {
  const inner = createSimulatedProvider({ tokensPerSecond: Infinity, outputTokens: 2 });
  return {
    name: 'chain',
    stream: (req, options = {}) => {
      options.onAttempt?.(attempt);
      return inner.stream(req, options);
    },
    streamParts: (req, options, onParts) => {
      options.onAttempt?.(attempt);
      return inner.streamParts!(req, options, onParts);
    },
  };
}

describe('recordAttempts', () => {
  it('reports the attempts of a pushed stream (streamParts) to the recorder and the caller', async () => {
    const recorded: ProviderAttempt[] = [];
    const callers: ProviderAttempt[] = [];
    const parts: unknown[] = [];
    await recordAttempts(reporting(), (a) => recorded.push(a)).streamParts!(request, { onAttempt: (a) => callers.push(a) }, (p) => parts.push(...p));
    expect(recorded).toEqual([attempt]);
    expect(callers).toEqual([attempt]);
    expect(parts.at(-1)).toMatchObject({ type: 'finish' });
  });

  it('has no streamParts when the provider has none', () => {
    const pullOnly: Provider = { name: 'p', stream: createSimulatedProvider().stream };
    expect(recordAttempts(pullOnly, () => {}).streamParts).toBeUndefined();
  });
});
