import { TwinError, type TwinErrorCode } from '../errors/twin-error';
import type { StreamPart } from '../protocol/stream-part';
import { resolveEnvironment, type ProviderEnvironment } from './environment';
import type { Provider, ProviderRequest, ProviderStreamOptions } from './provider';

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. Default 5. */
  failureThreshold?: number;
  /** How long the circuit stays open before one trial request is let through. Default 30 s. */
  resetTimeoutMs?: number;
  /** Which error codes count as the provider failing. Default: provider-side failures (see below). */
  isFailure?: (code: TwinErrorCode) => boolean;
  onStateChange?: (state: CircuitState, provider: string) => void;
  env?: Partial<ProviderEnvironment>;
}

/** A provider with a breaker: `state()` tells where it is (for health checks and metrics). */
export interface CircuitBreakerProvider extends Provider {
  state(): CircuitState;
}

/** Failures that say something about the provider's health. Caller mistakes and aborts do not. */
const PROVIDER_FAILURES = new Set<TwinErrorCode>([
  'provider_error',
  'provider_rate_limited',
  'provider_overloaded',
  'provider_timeout',
  'provider_unavailable',
  'network_error',
  'stream_truncated',
  'stream_stalled',
]);

/**
 * A circuit breaker for one provider: after `failureThreshold` consecutive failures it opens and
 * fails fast with `circuit_open` (retryable, with `retryAfterMs`, so a fallback chain moves on at
 * once) instead of sending more requests to a provider that is down. After `resetTimeoutMs` one
 * trial request goes through (half-open): success closes the circuit, failure opens it again.
 */
export function withCircuitBreaker(provider: Provider, options: CircuitBreakerOptions = {}): CircuitBreakerProvider {
  const env = resolveEnvironment(options.env);
  const threshold = options.failureThreshold ?? 5;
  const resetMs = options.resetTimeoutMs ?? 30_000;
  const isFailure = options.isFailure ?? ((code: TwinErrorCode) => PROVIDER_FAILURES.has(code));
  let state: CircuitState = 'closed';
  let failures = 0;
  let openedAt = 0;
  let trialInFlight = false;

  const setState = (next: CircuitState) => {
    if (next === state) return;
    state = next;
    options.onStateChange?.(next, provider.name);
  };
  const current = (): CircuitState => {
    if (state === 'open' && env.now() - openedAt >= resetMs) setState('half-open');
    return state;
  };
  const recordSuccess = () => {
    failures = 0;
    setState('closed');
  };
  const recordFailure = () => {
    failures++;
    if (state === 'half-open' || failures >= threshold) {
      openedAt = env.now();
      setState('open');
    }
  };

  async function* stream(request: ProviderRequest, streamOptions: ProviderStreamOptions = {}): AsyncGenerator<StreamPart> {
    const now = current();
    if (now === 'open' || (now === 'half-open' && trialInFlight)) {
      const waitMs = Math.max(0, openedAt + resetMs - env.now());
      const error = new TwinError('circuit_open', `The circuit for ${provider.name} is open after ${failures} consecutive failures; not calling it for ${waitMs} ms.`, {
        provider: provider.name,
        retryAfterMs: waitMs,
      });
      yield { type: 'error', error: error.toPayload() };
      return;
    }
    const trial = now === 'half-open';
    if (trial) trialInFlight = true;
    let settled = false;
    // The outcome is recorded when the terminal part is seen, not when the consumer lets go of
    // the stream: a consumer (a fallback chain) may stop reading right after an error.
    const settle = (outcome: 'success' | 'failure' | 'neutral') => {
      if (settled) return;
      settled = true;
      if (trial) trialInFlight = false;
      if (outcome === 'success') recordSuccess();
      else if (outcome === 'failure') recordFailure();
      // A neutral trial (aborted, caller mistake) taught nothing: the next request is the trial.
    };
    try {
      for await (const part of provider.stream(request, streamOptions)) {
        if (part.type === 'finish') settle('success');
        else if (part.type === 'error') settle(isFailure(part.error.code) ? 'failure' : 'neutral');
        yield part;
      }
    } finally {
      settle('neutral');
    }
  }

  return {
    name: provider.name,
    ...(provider.defaultModel ? { defaultModel: provider.defaultModel } : {}),
    stream,
    state: current,
  };
}
