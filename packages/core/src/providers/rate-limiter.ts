import { TwinError } from '../errors/twin-error';
import type { StreamPart } from '../protocol/stream-part';
import { resolveEnvironment, type ProviderEnvironment } from './environment';
import { estimateInputTokens, type TokenCounter } from './estimate-usage';
import type { Provider, ProviderRequest, ProviderStreamOptions } from './provider';

export interface RateLimitOptions {
  /** Requests per minute allowed to this provider. */
  requestsPerMinute?: number;
  /** Tokens (input + output) per minute allowed to this provider. */
  tokensPerMinute?: number;
  /**
   * Counts prompt tokens at admission (actual usage is settled when the stream ends). Default: about
   * four characters per token, which is cheap and close enough for a budget.
   */
  countTokens?: TokenCounter;
  env?: Partial<ProviderEnvironment>;
}

/** A continuously refilling bucket: `capacity` per minute. */
class Bucket {
  private level: number;
  private last: number;
  constructor(
    private readonly capacity: number,
    now: number,
  ) {
    this.level = capacity;
    this.last = now;
  }
  private refill(now: number): void {
    this.level = Math.min(this.capacity, this.level + ((now - this.last) * this.capacity) / 60_000);
    this.last = now;
  }
  /** Milliseconds until `amount` is available (0 = now). */
  waitFor(amount: number, now: number): number {
    this.refill(now);
    const need = Math.min(amount, this.capacity) - this.level;
    return need <= 0 ? 0 : Math.ceil((need * 60_000) / this.capacity);
  }
  take(amount: number, now: number): void {
    this.refill(now);
    this.level -= amount;
  }
}

const approxTokens: TokenCounter = (text) => Math.ceil(text.length / 4);

/**
 * Client-side rate limits for one provider (requests and tokens per minute), so an app stays
 * under its provider quota instead of collecting 429s. A request over the limit is not sent: the
 * stream is one `rate_limited` error part that says which limit and when to retry
 * (`retryAfterMs`), so {@link withRetry} waits and a fallback chain moves on.
 *
 * Tokens: the prompt is charged at admission; when the stream ends, the bucket is settled with the
 * reported usage (output, and the prompt's difference from the estimate).
 */
export function withRateLimit(provider: Provider, options: RateLimitOptions): Provider {
  const env = resolveEnvironment(options.env);
  const count = options.countTokens ?? approxTokens;
  const requests = options.requestsPerMinute ? new Bucket(options.requestsPerMinute, env.now()) : undefined;
  const tokens = options.tokensPerMinute ? new Bucket(options.tokensPerMinute, env.now()) : undefined;

  async function* stream(request: ProviderRequest, streamOptions: ProviderStreamOptions = {}): AsyncGenerator<StreamPart> {
    const now = env.now();
    const estimate = tokens ? estimateInputTokens(request, count) : 0;
    const requestWait = requests?.waitFor(1, now) ?? 0;
    const tokenWait = tokens?.waitFor(estimate, now) ?? 0;
    if (requestWait > 0 || tokenWait > 0) {
      const which =
        requestWait >= tokenWait
          ? `${options.requestsPerMinute} requests per minute`
          : `${options.tokensPerMinute} tokens per minute (this request needs about ${estimate})`;
      const waitMs = Math.max(requestWait, tokenWait);
      const error = new TwinError('rate_limited', `Rate limit for ${provider.name} reached: ${which}. Retry in ${(waitMs / 1000).toFixed(1)} s.`, {
        provider: provider.name,
        retryAfterMs: waitMs,
      });
      yield { type: 'error', error: error.toPayload() };
      return;
    }
    requests?.take(1, now);
    tokens?.take(estimate, now);
    let settled = false;
    for await (const part of provider.stream(request, streamOptions)) {
      if (tokens && !settled && (part.type === 'usage' || (part.type === 'error' && part.usage))) {
        const usage = part.type === 'usage' ? part.usage : part.usage!;
        tokens.take((usage.inputTokens ?? estimate) - estimate + (usage.outputTokens ?? 0), env.now());
        settled = true;
      }
      yield part;
    }
  }

  return { name: provider.name, ...(provider.defaultModel ? { defaultModel: provider.defaultModel } : {}), stream };
}
