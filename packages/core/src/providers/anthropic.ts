import type { StreamPart } from '../protocol/stream-part';
import type { FinishReason, Usage } from '../protocol/usage';
import { toAnthropicMessages, toAnthropicTools } from './anthropic-messages';
import { createFetchProvider, type FetchProviderOptions } from './create-fetch-provider';
import { mapEventBatches } from './map-event-batches';
import { parseEventBatches } from './parse-event-batches';
import type { Provider, ProviderRequest } from './provider';
import { providerHttpError } from './provider-error';
import { readServerSentEventBatches } from './read-server-sent-event-batches';
import { responseMetadataPart } from './response-metadata-part';
import { sdkEventBatches, type SdkStreamCall } from './sdk-call';
import { ToolCallAssembler } from './tool-call-assembler';

/**
 * The part of the official `@anthropic-ai/sdk` client this adapter uses, typed structurally so
 * @twin/core does not need the SDK at runtime (`new Anthropic({ apiKey })` satisfies it).
 */
export interface AnthropicClient {
  messages: {
    create(
      body: { stream: true; model: string; max_tokens: number; messages: never[] } & Record<string, unknown>,
      options?: { signal?: AbortSignal; maxRetries?: number },
    ): SdkStreamCall;
  };
}

export interface AnthropicProviderOptions extends FetchProviderOptions {
  /** Your `@anthropic-ai/sdk` client. Without one, the adapter speaks the wire protocol with `fetch`. */
  client?: AnthropicClient;
  /** Used without `client`, as the SDK does: without `/v1`. Default `https://api.anthropic.com`. */
  baseURL?: string;
  /** Used without `client`; sent as `x-api-key`. Never logged. */
  apiKey?: string;
  /** Default `anthropic`. */
  name?: string;
  /** `max_tokens` is required by the Messages API; used when a request sets none. Default 4096. */
  defaultMaxTokens?: number;
}

const FINISH: Record<string, FinishReason> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool-calls',
  refusal: 'content-filter',
};

/**
 * Anthropic usage → Twin usage. `input_tokens` EXCLUDES cache reads and writes, so they are added
 * (Twin's `inputTokens` is all prompt tokens); `output_tokens` already includes thinking.
 */
export function anthropicUsage(raw: Record<string, unknown>): Usage {
  const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
  const input = num(raw.input_tokens);
  const read = num(raw.cache_read_input_tokens);
  const write = num(raw.cache_creation_input_tokens);
  const output = num(raw.output_tokens);
  const usage: Usage = { raw };
  if (input !== undefined) usage.inputTokens = input + (read ?? 0) + (write ?? 0);
  if (read !== undefined) usage.cacheReadTokens = read;
  if (write !== undefined) usage.cacheWriteTokens = write;
  if (output !== undefined) usage.outputTokens = output;
  return usage;
}

/** Translates Messages stream events into parts. */
export class AnthropicEventMapper {
  done = false;
  private stopReason: string | undefined;
  private rawUsage: Record<string, unknown> = {};
  private readonly tools = new ToolCallAssembler();

  constructor(private readonly provider: string) {}

  map(event: unknown, out: StreamPart[]): void {
    if (typeof event !== 'object' || event === null) return;
    const e = event as Record<string, unknown>;
    switch (e.type) {
      case 'message_start': {
        const message = (e.message ?? {}) as Record<string, unknown>;
        out.push(responseMetadataPart(message.id, message.model));
        if (typeof message.usage === 'object' && message.usage !== null) this.updateUsage(message.usage as Record<string, unknown>, out);
        return;
      }
      case 'content_block_start': {
        const block = (e.content_block ?? {}) as Record<string, unknown>;
        // Only client tools: `server_tool_use` blocks (web search...) run at Anthropic and are not the app's to call.
        if (block.type === 'tool_use') {
          const id = typeof block.id === 'string' ? block.id : `toolu_${String(e.index)}`;
          const name = typeof block.name === 'string' ? block.name : '';
          const call = this.tools.start(Number(e.index), id, name);
          out.push({ type: 'tool-call-start', toolCallId: id, index: call.index, toolName: name });
        } else if (block.type === 'text' && typeof block.text === 'string' && block.text !== '') {
          out.push({ type: 'text-delta', text: block.text });
        }
        return;
      }
      case 'content_block_delta': {
        const delta = (e.delta ?? {}) as Record<string, unknown>;
        if (delta.type === 'text_delta' && typeof delta.text === 'string') out.push({ type: 'text-delta', text: delta.text });
        else if (delta.type === 'thinking_delta' && typeof delta.thinking === 'string') out.push({ type: 'reasoning-delta', text: delta.thinking });
        else if (delta.type === 'input_json_delta' && typeof delta.partial_json === 'string' && delta.partial_json !== '') {
          const call = this.tools.get(Number(e.index));
          if (call) {
            call.argsText += delta.partial_json;
            out.push({ type: 'tool-call-delta', toolCallId: call.toolCallId, index: call.index, argsTextDelta: delta.partial_json });
          }
        }
        // signature_delta and citations carry nothing Twin streams.
        return;
      }
      case 'content_block_stop': {
        const part = this.tools.complete(Number(e.index));
        if (part) out.push(part);
        return;
      }
      case 'message_delta': {
        const delta = (e.delta ?? {}) as Record<string, unknown>;
        if (typeof delta.stop_reason === 'string') this.stopReason = delta.stop_reason;
        if (typeof e.usage === 'object' && e.usage !== null) this.updateUsage(e.usage as Record<string, unknown>, out);
        return;
      }
      case 'message_stop':
        // A tool block still open here would be a provider bug: complete it rather than lose it.
        for (const part of this.tools.completeAll()) out.push(part);
        this.done = true;
        return;
      case 'error':
        throw providerHttpError({ provider: this.provider, body: e });
      default:
        // ping and future event types are ignored, as the API versioning policy asks.
        return;
    }
  }

  /** `message_delta` usage is cumulative: each field present overwrites the previous value, never adds. */
  private updateUsage(usage: Record<string, unknown>, out: StreamPart[]): void {
    this.rawUsage = { ...this.rawUsage, ...usage };
    out.push({ type: 'usage', usage: anthropicUsage(this.rawUsage) });
  }

  finish(): StreamPart {
    const raw = this.stopReason ?? 'end_turn';
    return { type: 'finish', reason: FINISH[raw] ?? 'other', rawReason: raw };
  }
}

export function anthropicBody(request: ProviderRequest, model: string, defaultMaxTokens: number): Record<string, unknown> {
  const { system, messages } = toAnthropicMessages(request.messages);
  const tools = toAnthropicTools(request.tools);
  return {
    model,
    max_tokens: request.maxTokens ?? defaultMaxTokens,
    messages,
    ...(system !== undefined ? { system } : {}),
    ...(tools ? { tools } : {}),
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...(request.stop?.length ? { stop_sequences: request.stop } : {}),
    stream: true,
    ...request.providerOptions,
  };
}

/**
 * Anthropic Messages, through your `@anthropic-ai/sdk` client or, without one, through `fetch`.
 * Handles text, thinking, tool use (`input_json_delta`, tools without arguments), `ping`, `error`
 * events inside a 200 response, and cache usage (`message_delta` usage overwrites, never adds).
 * Only `message_stop` completes a stream. The SDK's own retries are off per request (`maxRetries: 0`).
 */
export function createAnthropicProvider(options: AnthropicProviderOptions = {}): Provider {
  const headers = { accept: 'text/event-stream', 'anthropic-version': '2023-06-01', ...(options.apiKey ? { 'x-api-key': options.apiKey } : {}) };

  return createFetchProvider(options, { name: 'anthropic', baseURL: 'https://api.anthropic.com' }, async function* raw(request, model, signal, { name, post }) {
    const body = anthropicBody(request, model, options.defaultMaxTokens ?? 4096);
    let batches: AsyncIterable<unknown[]>;
    if (options.client) {
      const call = options.client.messages.create(body as Parameters<AnthropicClient['messages']['create']>[0], { signal, maxRetries: 0 });
      batches = await sdkEventBatches(call, name);
    } else {
      batches = parseEventBatches(readServerSentEventBatches(await post('v1/messages', headers, body, signal)), name);
    }
    yield* mapEventBatches(batches, new AnthropicEventMapper(name), name);
  });
}
