import type { Message } from '../protocol/message';
import type { Usage } from '../protocol/usage';
import type { ProviderRequest } from './provider';

/** Counts the tokens of a text. */
export type TokenCounter = (text: string) => number;

let defaultCounter: Promise<TokenCounter> | undefined;

/**
 * gpt-tokenizer's options for counting what a user or a model wrote: a special token's text
 * (`<|endoftext|>`) is counted as the plain text it is, as the providers' APIs read it in a prompt.
 * By default gpt-tokenizer throws on it, and a prompt that names one would fail its estimate.
 */
const PLAIN_TEXT_TOKENS = { disallowedSpecial: new Set<string>() } as const;

/**
 * The default counter: gpt-tokenizer's `o200k_base` (GPT-4o family). Loaded on first use, because
 * its rank table is megabytes that most streams (which get usage from the provider) never need.
 * Counts for other providers' models are an approximation, which is why usage is flagged `estimated`.
 */
export function loadDefaultTokenCounter(): Promise<TokenCounter> {
  defaultCounter ??= import('gpt-tokenizer/encoding/o200k_base').then((m) => (text: string) => m.countTokens(text, PLAIN_TEXT_TOKENS));
  return defaultCounter;
}

/** Per-message framing tokens chat formats add around each message (OpenAI's documented 3, plus priming). */
const TOKENS_PER_MESSAGE = 3;
const TOKENS_PER_REPLY = 3;

function messageText(message: Message): string {
  if (typeof message.content === 'string') return message.content;
  let out = '';
  for (const part of message.content) {
    if (part.type === 'text') out += part.text;
    else if (part.type === 'tool-call') out += `${part.toolName}${JSON.stringify(part.args ?? {})}`;
    else if (part.type === 'tool-result') out += typeof part.result === 'string' ? part.result : JSON.stringify(part.result ?? null);
    // Images are priced by the provider in ways a text tokenizer cannot know: they stay uncounted.
  }
  return out;
}

/** Estimated prompt tokens of a request: messages, their framing, and the tool definitions. */
export function estimateInputTokens(request: ProviderRequest, count: TokenCounter): number {
  let tokens = TOKENS_PER_REPLY;
  for (const message of request.messages) tokens += TOKENS_PER_MESSAGE + count(message.role) + count(messageText(message));
  if (request.tools?.length) tokens += count(JSON.stringify(request.tools));
  return tokens;
}

export interface EstimateUsageInput {
  request: ProviderRequest;
  /** Everything generated so far: text, reasoning and tool-call argument text. */
  outputText: string;
  /** The reasoning part of the output, when there was any. */
  reasoningText?: string;
  /** Usage the provider did report before the stream ended (kept; only the gaps are estimated). */
  partial?: Usage;
  countTokens?: TokenCounter;
}

/**
 * Usage for a stream whose provider reported none (or only part of it): counts reported by the
 * provider are kept, missing input/output counts are filled with a tokenizer and the result is
 * flagged `estimated`, with `estimatedFields` naming the counts that were filled. Cache counts stay `undefined` (unknowable locally).
 */
export async function estimateUsage(input: EstimateUsageInput): Promise<Usage> {
  const count = input.countTokens ?? (await loadDefaultTokenCounter());
  const { outputText, reasoningText } = input;
  return fillEstimatedUsage(
    input.request,
    input.partial,
    count,
    () => (outputText === '' ? 0 : count(outputText)),
    () => (reasoningText ? count(reasoningText) : undefined),
  );
}

/**
 * {@link estimateUsage} with the output counted by the caller (`outputTokens`, and `reasoningTokens`:
 * `undefined` when there was no reasoning), e.g. from character counts when the counter depends on
 * the length alone. They are called only for the counts the provider did not report.
 */
export function fillEstimatedUsage(
  request: ProviderRequest,
  partial: Usage | undefined,
  count: TokenCounter,
  outputTokens: () => number,
  reasoningTokens: () => number | undefined,
): Usage {
  const usage: Usage = { ...partial };
  const estimatedFields: NonNullable<Usage['estimatedFields']> = [];
  if (usage.inputTokens === undefined) {
    usage.inputTokens = estimateInputTokens(request, count);
    estimatedFields.push('inputTokens');
  }
  if (usage.outputTokens === undefined) {
    usage.outputTokens = outputTokens();
    estimatedFields.push('outputTokens');
    if (usage.reasoningTokens === undefined) {
      const reasoning = reasoningTokens();
      if (reasoning !== undefined) {
        usage.reasoningTokens = reasoning;
        estimatedFields.push('reasoningTokens');
      }
    }
  }
  if (estimatedFields.length) {
    usage.estimated = true;
    usage.estimatedFields = estimatedFields;
  }
  return usage;
}
