import type { StreamPart } from '../protocol/stream-part';
import type { FinishReason, Usage } from '../protocol/usage';
import { createFetchProvider, type FetchProviderOptions } from './create-fetch-provider';
import { toOpenAIChatMessages, toOpenAIChatTools } from './openai-chat-messages';
import type { Provider, ProviderRequest } from './provider';
import { mapEventBatches } from './map-event-batches';
import { END_MARKER, parseEventBatches } from './parse-event-batches';
import { providerEventRecord } from './provider-event-record';
import { readServerSentEventBatches } from './read-server-sent-event-batches';
import { responseMetadataPart } from './response-metadata-part';
import { sdkEventBatches, type SdkStreamCall } from './sdk-call';
import { ToolCallAssembler } from './tool-call-assembler';

/**
 * The part of the official `openai` client this adapter uses, typed structurally so @twin/core does
 * not need the SDK at runtime (`new OpenAI({ apiKey, baseURL })` satisfies it).
 */
export interface OpenAIChatClient {
  chat: {
    completions: {
      create(
        body: { stream: true; model: string; messages: never[] } & Record<string, unknown>,
        options?: { signal?: AbortSignal; maxRetries?: number },
      ): SdkStreamCall;
    };
  };
}

export interface OpenAIChatProviderOptions extends FetchProviderOptions {
  /**
   * Your `openai` client instance. Without one, the adapter speaks the wire protocol itself with
   * `fetch` to `baseURL` (any OpenAI-compatible server: Ollama `/v1`, vLLM, LM Studio).
   */
  client?: OpenAIChatClient;
  /** Used without `client`. Default `https://api.openai.com/v1`. */
  baseURL?: string;
  /** Used without `client`; sent as `Authorization: Bearer`. Never logged. */
  apiKey?: string;
  /** Extra request headers (without `client`). */
  headers?: Record<string, string>;
  /** Default `openai`. */
  name?: string;
  /**
   * Field carrying `maxTokens`. Default `max_completion_tokens` (required by OpenAI's reasoning
   * models); set `max_tokens` for servers that only know the older field.
   */
  maxTokensField?: 'max_completion_tokens' | 'max_tokens';
}

const FINISH: Record<string, FinishReason> = {
  stop: 'stop',
  length: 'length',
  tool_calls: 'tool-calls',
  function_call: 'tool-calls',
  content_filter: 'content-filter',
};

/** OpenAI chat usage → Twin usage (`prompt_tokens` already includes cached tokens). */
export function openAIChatUsage(raw: Record<string, unknown>): Usage {
  const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
  const prompt = raw.prompt_tokens_details as Record<string, unknown> | null | undefined;
  const completion = raw.completion_tokens_details as Record<string, unknown> | null | undefined;
  const usage: Usage = { raw };
  const input = num(raw.prompt_tokens);
  if (input !== undefined) usage.inputTokens = input;
  const cached = num(prompt?.cached_tokens);
  if (cached !== undefined) usage.cacheReadTokens = cached;
  const output = num(raw.completion_tokens);
  if (output !== undefined) usage.outputTokens = output;
  const reasoning = num(completion?.reasoning_tokens);
  if (reasoning !== undefined) usage.reasoningTokens = reasoning;
  return usage;
}

/**
 * Translates Chat Completions chunks into parts. Plain guards only: this is the hot path (the
 * benchmark measures it), and the SDK or our SSE reader has already parsed the JSON.
 */
export class OpenAIChatChunkMapper {
  finishReason: string | undefined;
  private refused = false;
  private metadataSent = false;
  private ended = false;
  private readonly tools = new ToolCallAssembler();

  /**
   * `endsAtFinishReason`: the chunks come from an SDK iterator, which hides `[DONE]`, so a chunk
   * with a finish reason is the end. Otherwise only `[DONE]` ({@link END_MARKER}) completes a stream.
   */
  constructor(
    private readonly provider: string,
    private readonly endsAtFinishReason = false,
  ) {}

  /** True once `[DONE]` arrived. */
  get done(): boolean {
    return this.ended;
  }

  /** True when the body ending now is a whole stream (SDK iterators without `[DONE]`). */
  get complete(): boolean {
    return this.endsAtFinishReason && this.finishReason !== undefined;
  }

  /** Appends the parts for one chunk to `out`. */
  map(chunk: unknown, out: StreamPart[]): void {
    if (chunk === END_MARKER) {
      this.ended = true;
      return;
    }
    const c = providerEventRecord(chunk, this.provider);
    if (!c) return;
    if (!this.metadataSent && (typeof c.id === 'string' || typeof c.model === 'string')) {
      this.metadataSent = true;
      out.push(responseMetadataPart(c.id, c.model));
    }
    const choices = c.choices as Array<Record<string, unknown>> | undefined;
    // Only the first choice is streamed (with `n > 1` in providerOptions, other choices interleave).
    const choice = choices?.[0];
    if (choice && (choice.index === 0 || choice.index === undefined)) {
      const delta = choice.delta as Record<string, unknown> | undefined;
      if (delta) {
        // `reasoning_content` (DeepSeek, vLLM) and `reasoning` (Ollama /v1, OpenRouter) carry thinking on compatible servers.
        const reasoning = delta.reasoning_content ?? delta.reasoning;
        if (typeof reasoning === 'string' && reasoning !== '') out.push({ type: 'reasoning-delta', text: reasoning });
        const content = delta.content;
        if (typeof content === 'string' && content !== '') out.push({ type: 'text-delta', text: content });
        const refusal = delta.refusal;
        if (typeof refusal === 'string' && refusal !== '') {
          this.refused = true;
          out.push({ type: 'text-delta', text: refusal, refusal: true });
        }
        const toolCalls = delta.tool_calls as Array<Record<string, unknown>> | undefined;
        if (toolCalls) for (const call of toolCalls) this.mapToolCall(call, out);
      }
      if (typeof choice.finish_reason === 'string') {
        this.finishReason = choice.finish_reason;
        for (const part of this.tools.completeAll()) out.push(part);
      }
    }
    const usage = c.usage;
    if (typeof usage === 'object' && usage !== null) out.push({ type: 'usage', usage: openAIChatUsage(usage as Record<string, unknown>) });
  }

  private mapToolCall(call: Record<string, unknown>, out: StreamPart[]): void {
    const key = typeof call.index === 'number' ? call.index : this.tools.size;
    const fn = call.function as Record<string, unknown> | undefined;
    let pending = this.tools.get(key);
    if (!pending) {
      const id = typeof call.id === 'string' ? call.id : `call_${key}`;
      const name = typeof fn?.name === 'string' ? fn.name : '';
      pending = this.tools.start(key, id, name);
      out.push({ type: 'tool-call-start', toolCallId: id, index: pending.index, toolName: name });
    }
    const args = fn?.arguments;
    if (typeof args === 'string' && args !== '') {
      pending.argsText += args;
      out.push({ type: 'tool-call-delta', toolCallId: pending.toolCallId, index: pending.index, argsTextDelta: args });
    }
  }

  /** The finish part once the stream is complete. */
  finish(): StreamPart {
    const raw = this.finishReason ?? 'stop';
    // A refusal arrives as `delta.refusal` with finish reason `stop`: normalise to content-filter.
    const reason: FinishReason = this.refused ? 'content-filter' : (FINISH[raw] ?? 'other');
    return { type: 'finish', reason, rawReason: raw };
  }
}

/** Builds the Chat Completions body: Twin's fields, then `providerOptions` on top. */
export function openAIChatBody(request: ProviderRequest, model: string, maxTokensField: string): Record<string, unknown> {
  const tools = toOpenAIChatTools(request.tools);
  return {
    model,
    messages: toOpenAIChatMessages(request.messages),
    stream: true,
    stream_options: { include_usage: true },
    ...(tools ? { tools } : {}),
    ...(request.maxTokens !== undefined ? { [maxTokensField]: request.maxTokens } : {}),
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...(request.stop?.length ? { stop: request.stop } : {}),
    ...request.providerOptions,
  };
}

/**
 * OpenAI Chat Completions, through your official `openai` client or, without one, through `fetch`
 * to any OpenAI-compatible base URL. With a client, the client makes the request (auth, base URL,
 * headers, its fetch, HTTP errors) and Twin parses the raw SSE body (`asResponse()`). Usage is always requested in the stream
 * (`stream_options.include_usage`). The SDK's own retries are turned off per request
 * (`maxRetries: 0`): retries belong to {@link withRetry}, which knows about fallback and streaming.
 *
 * End of stream: only `data: [DONE]` completes a stream (for a client-like object without
 * `asResponse()`, which hides `[DONE]`, a chunk with `finish_reason` does).
 */
export function createOpenAIChatProvider(options: OpenAIChatProviderOptions = {}): Provider {
  const maxTokensField = options.maxTokensField ?? 'max_completion_tokens';
  const headers = { accept: 'text/event-stream', ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}) };

  return createFetchProvider(options, { name: 'openai', baseURL: 'https://api.openai.com/v1' }, async function* raw(request, model, signal, { name, post }) {
    const body = openAIChatBody(request, model, maxTokensField);
    if (options.client) {
      const call = options.client.chat.completions.create(body as Parameters<OpenAIChatClient['chat']['completions']['create']>[0], {
        signal,
        maxRetries: 0,
      });
      // Twin parses the raw body when the SDK exposes it (`[DONE]` ends it); otherwise the SDK's
      // parsed chunks, which hide `[DONE]`, so a chunk with a finish reason is the end.
      const raw = Boolean(call.asResponse);
      yield* mapEventBatches(await sdkEventBatches(call, name, '[DONE]'), new OpenAIChatChunkMapper(name, !raw), name);
      return;
    }
    const stream = await post('chat/completions', headers, body, signal);
    yield* mapOpenAIChatEvents(readServerSentEventBatches(stream), new OpenAIChatChunkMapper(name), name);
  });
}

/** Maps batches of raw SSE events of a Chat Completions stream to batches of parts: `[DONE]` is the terminal event. */
export function mapOpenAIChatEvents(
  batches: AsyncIterable<ReadonlyArray<{ data: string }>>,
  mapper: OpenAIChatChunkMapper,
  provider: string,
): AsyncGenerator<StreamPart[]> {
  return mapEventBatches(parseEventBatches(batches, provider, '[DONE]'), mapper, provider);
}
