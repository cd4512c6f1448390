import { z } from 'zod';

const tokenCount = z.number().int().nonnegative();

/**
 * Token usage of one stream, normalised across providers.
 *
 * Conventions (they decide the bill, so they are exact):
 * - `inputTokens` is ALL prompt tokens, including those read from and written to the prompt cache.
 *   Non-cached input = `inputTokens - cacheReadTokens - cacheWriteTokens`.
 *   (OpenAI's `prompt_tokens` already includes cached tokens; Anthropic's `input_tokens` does not,
 *   so its adapter adds `cache_read_input_tokens` and `cache_creation_input_tokens`.)
 * - `outputTokens` is ALL generated tokens, including reasoning. Reasoning is a subset.
 * - A field the provider did not report is `undefined` ("unknown"), never 0.
 * - `estimated` is true when the counts come from a local tokenizer because the provider reported
 *   nothing (abort, cut connection).
 */
export const usageSchema = z.object({
  inputTokens: tokenCount.optional(),
  cacheReadTokens: tokenCount.optional(),
  cacheWriteTokens: tokenCount.optional(),
  outputTokens: tokenCount.optional(),
  reasoningTokens: tokenCount.optional(),
  estimated: z.boolean().optional(),
  /**
   * With `estimated`: which counts came from the local tokenizer. Every other count present was
   * reported by the provider (an abort after the provider sent input tokens keeps those).
   */
  estimatedFields: z.array(z.enum(['inputTokens', 'outputTokens', 'reasoningTokens'])).optional(),
  /** The provider's own usage object, untouched, for audit. Not sent to clients by default. */
  raw: z.unknown().optional(),
});
export type Usage = z.infer<typeof usageSchema>;

/** Why generation stopped, normalised. The provider's own word is kept beside it as `rawReason`. */
export const finishReasonSchema = z.enum([
  'stop',
  'length',
  'tool-calls',
  'content-filter',
  'error',
  'aborted',
  'truncated',
  'other',
]);
export type FinishReason = z.infer<typeof finishReasonSchema>;
