import type { Provider, ProviderAttempt } from '@twin/core';

/**
 * The provider of one stream, reporting every provider a fallback chain tried (served, or skipped
 * with the error that made it move on) to `onAttempt`, which the server stores as the stream's
 * `provider.attempt` audit events. Only chains report attempts; a single provider passes through.
 */
export function recordAttempts(provider: Provider, onAttempt: (attempt: ProviderAttempt) => void): Provider {
  return {
    name: provider.name,
    ...(provider.defaultModel ? { defaultModel: provider.defaultModel } : {}),
    stream: (request, options = {}) =>
      provider.stream(request, {
        ...options,
        onAttempt: (attempt) => {
          onAttempt(attempt);
          options.onAttempt?.(attempt);
        },
      }),
  };
}
