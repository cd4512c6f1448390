import type { Provider, ProviderAttempt, ProviderRequest, ProviderStreamOptions, StreamPart } from '@twin/core';

/**
 * The provider of one stream, reporting every provider a fallback chain tried (served, or skipped
 * with the error that made it move on) to `onAttempt`, which the server stores as the stream's
 * `provider.attempt` audit events. Only chains report attempts; a single provider passes through.
 */
export function recordAttempts(provider: Provider, onAttempt: (attempt: ProviderAttempt) => void): Provider {
  const reporting = (options: ProviderStreamOptions): ProviderStreamOptions => ({
    ...options,
    onAttempt: (attempt) => {
      onAttempt(attempt);
      options.onAttempt?.(attempt);
    },
  });
  const pushed = provider.streamParts?.bind(provider);
  return {
    name: provider.name,
    ...(provider.defaultModel ? { defaultModel: provider.defaultModel } : {}),
    stream: (request, options = {}) => provider.stream(request, reporting(options)),
    ...(pushed ? { streamParts: (request: ProviderRequest, options: ProviderStreamOptions, onParts: (parts: readonly StreamPart[]) => void) => pushed(request, reporting(options), onParts) } : {}),
  };
}
