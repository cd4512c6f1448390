import { TwinError } from '../errors/twin-error';
import type { StreamPart } from '../protocol/stream-part';
import type { FinishReason, Usage } from '../protocol/usage';
import { createFetchProvider, type FetchProviderOptions } from './create-fetch-provider';
import { toGeminiContents, toGeminiTools } from './gemini-contents';
import type { Provider, ProviderRequest } from './provider';
import { mapEventBatches } from './map-event-batches';
import { parseEventBatches } from './parse-event-batches';
import { readServerSentEventBatches } from './read-server-sent-event-batches';
import { samplingOptions } from './sampling-options';
import { WholeCallEventMapper } from './whole-call-event-mapper';

export interface GeminiProviderOptions extends FetchProviderOptions {
  /** Sent as `x-goog-api-key`. Never logged. */
  apiKey?: string;
  /** Default `https://generativelanguage.googleapis.com/v1beta`. */
  baseURL?: string;
  /** Default `google`. */
  name?: string;
}

const FINISH: Record<string, FinishReason> = {
  STOP: 'stop',
  MAX_TOKENS: 'length',
  SAFETY: 'content-filter',
  RECITATION: 'content-filter',
  BLOCKLIST: 'content-filter',
  PROHIBITED_CONTENT: 'content-filter',
  SPII: 'content-filter',
  IMAGE_SAFETY: 'content-filter',
  MALFORMED_FUNCTION_CALL: 'error',
};

/**
 * Gemini `usageMetadata` → Twin usage. `promptTokenCount` already includes
 * `cachedContentTokenCount`; `candidatesTokenCount` EXCLUDES `thoughtsTokenCount`, so output is
 * their sum (Twin's output includes reasoning).
 */
export function geminiUsage(raw: Record<string, unknown>): Usage {
  const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
  const prompt = num(raw.promptTokenCount);
  const toolPrompt = num(raw.toolUsePromptTokenCount);
  const cached = num(raw.cachedContentTokenCount);
  const candidates = num(raw.candidatesTokenCount);
  const thoughts = num(raw.thoughtsTokenCount);
  const usage: Usage = { raw };
  if (prompt !== undefined) usage.inputTokens = prompt + (toolPrompt ?? 0);
  if (cached !== undefined) usage.cacheReadTokens = cached;
  if (candidates !== undefined || thoughts !== undefined) usage.outputTokens = (candidates ?? 0) + (thoughts ?? 0);
  if (thoughts !== undefined) usage.reasoningTokens = thoughts;
  return usage;
}

/**
 * Translates `streamGenerateContent` chunks into parts. Gemini has no terminal event: the body
 * ends after the chunk with a finish reason (usage may follow in it), so the mapper reads to the
 * end of the body (`done` stays false) and the stream is `complete` once a finish reason arrived.
 */
export class GeminiChunkMapper extends WholeCallEventMapper {
  /** Set once a candidate carried a finish reason (Gemini has no separate end event). */
  finishReason: string | undefined;
  blockReason: string | undefined;
  readonly done = false;

  protected mapRecord(c: Record<string, unknown>, out: StreamPart[]): void {
    if (typeof c.responseId === 'string' && c.responseId !== '') this.calls.useResponseId(c.responseId);
    this.pushMetadataOnce(c.responseId, c.modelVersion, out);
    // usageMetadata is cumulative: each chunk repeats the totals so far; the last one wins (the guard keeps the last).
    if (typeof c.usageMetadata === 'object' && c.usageMetadata !== null) {
      out.push({ type: 'usage', usage: geminiUsage(c.usageMetadata as Record<string, unknown>) });
    }
    const feedback = c.promptFeedback as Record<string, unknown> | undefined;
    if (feedback && typeof feedback.blockReason === 'string') {
      this.blockReason = feedback.blockReason;
      return;
    }
    const candidate = (c.candidates as Array<Record<string, unknown>> | undefined)?.[0];
    if (!candidate) return;
    const parts = (candidate.content as Record<string, unknown> | undefined)?.parts as Array<Record<string, unknown>> | undefined;
    if (parts) {
      for (const part of parts) {
        if (typeof part.text === 'string') {
          if (part.text !== '') out.push({ type: part.thought === true ? 'reasoning-delta' : 'text-delta', text: part.text });
        } else if (typeof part.functionCall === 'object' && part.functionCall !== null) {
          // Gemini sends each call whole.
          const fn = part.functionCall as Record<string, unknown>;
          const args = fn.args ?? {};
          this.calls.push(out, { id: fn.id, name: fn.name, args, argsText: JSON.stringify(args) });
        }
      }
    }
    if (typeof candidate.finishReason === 'string') this.finishReason = candidate.finishReason;
  }

  /** True once a finish reason (or a blocked prompt) arrived: the body ending now is a whole stream. */
  get complete(): boolean {
    return this.finishReason !== undefined || this.blockReason !== undefined;
  }

  /** The terminal part: finish, or a `content_filtered` error for a blocked prompt. */
  finish(): StreamPart {
    if (this.blockReason !== undefined) {
      const error = new TwinError('content_filtered', `${this.provider} blocked the prompt (${this.blockReason}).`, { provider: this.provider });
      return { type: 'error', error: error.toPayload() };
    }
    // Gemini says STOP even when the turn ended in function calls (the calls make it `tool-calls`).
    return this.calls.finishPart(this.finishReason ?? 'STOP', FINISH);
  }
}

export function geminiBody(request: ProviderRequest): Record<string, unknown> {
  const { systemInstruction, contents } = toGeminiContents(request.messages);
  const tools = toGeminiTools(request.tools);
  const { generationConfig: extraConfig, ...rest } = (request.providerOptions ?? {}) as { generationConfig?: Record<string, unknown> };
  const generationConfig = samplingOptions(request, { maxTokens: 'maxOutputTokens', stop: 'stopSequences' }, extraConfig);
  return {
    contents,
    ...(systemInstruction ? { systemInstruction } : {}),
    ...(tools ? { tools } : {}),
    ...(generationConfig ? { generationConfig } : {}),
    ...rest,
  };
}

/**
 * Google Gemini `streamGenerateContent?alt=sse` through `fetch` + eventsource-parser. Keeps the
 * last (cumulative) `usageMetadata`, streams thought parts as reasoning, reports function calls
 * (finish `tool-calls` although Gemini says STOP) and blocked prompts (`content_filtered`). A
 * stream whose chunks never carried a finish reason is `stream_truncated`.
 * `providerOptions.generationConfig` is merged into the generation config (e.g. `thinkingConfig`).
 */
export function createGeminiProvider(options: GeminiProviderOptions = {}): Provider {
  const headers = { accept: 'text/event-stream', ...(options.apiKey ? { 'x-goog-api-key': options.apiKey } : {}) };
  return createFetchProvider(options, { name: 'google', baseURL: 'https://generativelanguage.googleapis.com/v1beta' }, async function* raw(request, model, signal, { name, env, post }) {
    const stream = await post(`models/${encodeURIComponent(model)}:streamGenerateContent?alt=sse`, headers, geminiBody(request), signal);
    yield* mapEventBatches(parseEventBatches(readServerSentEventBatches(stream), name), new GeminiChunkMapper(name, env.random), name);
  });
}
