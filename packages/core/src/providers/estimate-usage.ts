import type { Message } from '../protocol/message';
import type { Usage } from '../protocol/usage';
import type { ProviderRequest } from './provider';

/** Counts the tokens of a text. */
export type TokenCounter = (text: string) => number;

let defaultCounter: Promise<TokenCounter> | undefined;

/**
 * The default counter: gpt-tokenizer's `o200k_base` (GPT-4o family). Loaded on first use, because
 * its rank table is megabytes that most streams (which get usage from the provider) never need.
 * Counts for other providers' models are an approximation, which is why usage is flagged `estimated`.
 */
export function loadDefaultTokenCounter(): Promise<TokenCounter> {
  defaultCounter ??= import('gpt-tokenizer/encoding/o200k_base').then((m) => (text: string) => m.countTokens(text));
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
  const usage: Usage = { ...input.partial };
  const estimatedFields: NonNullable<Usage['estimatedFields']> = [];
  if (usage.inputTokens === undefined) {
    usage.inputTokens = estimateInputTokens(input.request, count);
    estimatedFields.push('inputTokens');
  }
  if (usage.outputTokens === undefined) {
    usage.outputTokens = input.outputText === '' ? 0 : count(input.outputText);
    estimatedFields.push('outputTokens');
    if (usage.reasoningTokens === undefined && input.reasoningText) {
      usage.reasoningTokens = count(input.reasoningText);
      estimatedFields.push('reasoningTokens');
    }
  }
  if (estimatedFields.length) {
    usage.estimated = true;
    usage.estimatedFields = estimatedFields;
  }
  return usage;
}
