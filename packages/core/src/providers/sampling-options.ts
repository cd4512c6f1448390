import type { ProviderRequest } from './provider';

/** What a provider calls the request's token limit and stop sequences in its options object. */
export interface SamplingOptionNames {
  maxTokens: string;
  stop: string;
}

/**
 * The request's token limit, temperature and stop sequences as a provider's nested options object
 * (Gemini's `generationConfig`, Ollama's `options`), with the caller's own options merged over
 * them; undefined when there is nothing to send, so the body leaves the object out.
 */
export function samplingOptions(request: ProviderRequest, names: SamplingOptionNames, extra: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  const options = {
    ...(request.maxTokens !== undefined ? { [names.maxTokens]: request.maxTokens } : {}),
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...(request.stop?.length ? { [names.stop]: request.stop } : {}),
    ...extra,
  };
  return Object.keys(options).length ? options : undefined;
}
