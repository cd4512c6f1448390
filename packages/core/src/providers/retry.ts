import { TwinError, type TwinErrorPayload } from '../errors/twin-error';
import type { StreamPart } from '../protocol/stream-part';
import { resolveEnvironment, type ProviderEnvironment } from './environment';
import type { Provider, ProviderRequest, ProviderStreamOptions } from './provider';
import { readStreamHead } from './stream-head';

export interface RetryOptions {
  /** Retries after the first attempt. Default 2. */
  maxRetries?: number;
  /** Delay before the first retry; doubles each time. Default 500 ms. */
  baseDelayMs?: number;
  /** Cap of one delay. A `Retry-After` longer than this is not waited for: the error is returned. Default 20 s. */
  maxDelayMs?: number;
  /** Whether an error (before the first content part) is worth retrying. Default: `retryable`. */
  shouldRetry?: (error: TwinErrorPayload, attempt: number) => boolean;
  /** Called before each wait (for logs/metrics). */
  onRetry?: (info: { attempt: number; delayMs: number; error: TwinErrorPayload }) => void;
  env?: Partial<ProviderEnvironment>;
}

/**
 * Delay before retry `attempt` (1-based): full jitter over an exponentially growing, capped window
 * (spreads a burst of clients instead of retrying in lockstep), but never shorter than the
 * provider's `Retry-After`.
 */
export function retryDelayMs(attempt: number, error: TwinErrorPayload, options: { baseDelayMs: number; maxDelayMs: number; random: () => number }): number {
  const window = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
  const jittered = Math.round(options.random() * window);
  return error.retryAfterMs !== undefined ? Math.max(error.retryAfterMs, jittered) : jittered;
}

/**
 * Retries a provider with exponential backoff and jitter, honouring `Retry-After`. Only failures
 * before the first content part are retried (after it, a retry would repeat text): the stream the
 * caller sees is always one clean attempt.
 */
export function withRetry(provider: Provider, options: RetryOptions = {}): Provider {
  const env = resolveEnvironment(options.env);
  const maxRetries = options.maxRetries ?? 2;
  const baseDelayMs = options.baseDelayMs ?? 500;
  const maxDelayMs = options.maxDelayMs ?? 20_000;
  const shouldRetry = options.shouldRetry ?? ((error: TwinErrorPayload) => error.retryable);

  async function* stream(request: ProviderRequest, streamOptions: ProviderStreamOptions = {}): AsyncGenerator<StreamPart> {
    const signal = streamOptions.signal;
    for (let attempt = 0; ; attempt++) {
      const head = await readStreamHead(provider.stream(request, { signal }), { provider: provider.name, env });
      const deciding = head.head[head.head.length - 1]!;
      if (head.outcome === 'error' && deciding.type === 'error' && attempt < maxRetries && !signal?.aborted && shouldRetry(deciding.error, attempt + 1)) {
        const delayMs = retryDelayMs(attempt + 1, deciding.error, { baseDelayMs, maxDelayMs, random: env.random });
        if (delayMs <= maxDelayMs) {
          await head.rest.return?.();
          options.onRetry?.({ attempt: attempt + 1, delayMs, error: deciding.error });
          await env.sleep(delayMs, signal);
          if (!signal?.aborted) continue;
          const aborted = new TwinError('aborted', `The ${provider.name} stream was aborted while waiting to retry.`, { provider: provider.name, retryable: false });
          yield { type: 'error', error: aborted.toPayload(), ...(deciding.usage ? { usage: deciding.usage } : {}) };
          return;
        }
      }
      let done = false;
      try {
        yield* head.head;
        if (head.outcome !== 'content') return;
        for (;;) {
          const next = await head.rest.next();
          if (next.done) {
            done = true;
            return;
          }
          yield next.value;
        }
      } finally {
        // Stopping early (break, abort, or after the terminal part) releases the upstream request.
        if (!done) await head.rest.return?.();
      }
    }
  }

  return { name: provider.name, ...(provider.defaultModel ? { defaultModel: provider.defaultModel } : {}), stream };
}
