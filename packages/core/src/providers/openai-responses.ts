import type { Message, ToolDefinition } from '../protocol/message';
import type { StreamPart } from '../protocol/stream-part';
import type { FinishReason, Usage } from '../protocol/usage';
import { createFetchProvider, type FetchProviderOptions } from './create-fetch-provider';
import { mapEventBatches } from './map-event-batches';
import { imageUrl, toolResultText } from './openai-chat-messages';
import { parseEventBatches } from './parse-event-batches';
import type { Provider, ProviderRequest } from './provider';
import { providerHttpError } from './provider-error';
import { readServerSentEventBatches } from './read-server-sent-event-batches';
import { responseMetadataPart } from './response-metadata-part';
import { sdkEventBatches, type SdkStreamCall } from './sdk-call';
import { ToolCallAssembler } from './tool-call-assembler';

/** The part of the official `openai` client this adapter uses (structural; no runtime dependency). */
export interface OpenAIResponsesClient {
  responses: {
    create(
      body: { stream: true; model: string } & Record<string, unknown>,
      options?: { signal?: AbortSignal; maxRetries?: number },
    ): SdkStreamCall;
  };
}

export interface OpenAIResponsesProviderOptions extends FetchProviderOptions {
  /** Your `openai` client. Without one, the adapter speaks the wire protocol with `fetch`. */
  client?: OpenAIResponsesClient;
  /** Default `https://api.openai.com/v1`. */
  baseURL?: string;
  apiKey?: string;
  /** Default `openai`. */
  name?: string;
}

/** Twin messages as Responses API input items. */
export function toResponsesInput(messages: Message[]): Array<Record<string, unknown>> {
  const items: Array<Record<string, unknown>> = [];
  for (const message of messages) {
    if (typeof message.content === 'string') {
      items.push({ role: message.role === 'tool' ? 'user' : message.role, content: message.content });
      continue;
    }
    const content: Array<Record<string, unknown>> = [];
    for (const p of message.content) {
      if (p.type === 'text') content.push({ type: message.role === 'assistant' ? 'output_text' : 'input_text', text: p.text });
      else if (p.type === 'image') content.push({ type: 'input_image', image_url: imageUrl(p) });
      else if (p.type === 'tool-call') items.push({ type: 'function_call', call_id: p.toolCallId, name: p.toolName, arguments: JSON.stringify(p.args ?? {}) });
      else items.push({ type: 'function_call_output', call_id: p.toolCallId, output: toolResultText(p.result) });
    }
    if (content.length) items.push({ role: message.role === 'tool' ? 'user' : message.role, content });
  }
  return items;
}

function toResponsesTools(tools: ToolDefinition[] | undefined): Array<Record<string, unknown>> | undefined {
  if (!tools?.length) return undefined;
  return tools.map((t) => ({ type: 'function', name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.parameters }));
}

/**
 * The Responses API has no stop sequences: `stop` is not sent (documented in docs/providers.md).
 */
export function openAIResponsesBody(request: ProviderRequest, model: string): Record<string, unknown> {
  const tools = toResponsesTools(request.tools);
  return {
    model,
    input: toResponsesInput(request.messages),
    stream: true,
    ...(tools ? { tools } : {}),
    ...(request.maxTokens !== undefined ? { max_output_tokens: request.maxTokens } : {}),
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...request.providerOptions,
  };
}

/** Responses usage → Twin usage (`input_tokens` includes cached tokens; output includes reasoning). */
export function openAIResponsesUsage(raw: Record<string, unknown>): Usage {
  const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
  const usage: Usage = { raw };
  const input = num(raw.input_tokens);
  if (input !== undefined) usage.inputTokens = input;
  const cached = num((raw.input_tokens_details as Record<string, unknown> | undefined)?.cached_tokens);
  if (cached !== undefined) usage.cacheReadTokens = cached;
  const output = num(raw.output_tokens);
  if (output !== undefined) usage.outputTokens = output;
  const reasoning = num((raw.output_tokens_details as Record<string, unknown> | undefined)?.reasoning_tokens);
  if (reasoning !== undefined) usage.reasoningTokens = reasoning;
  return usage;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Translates Responses stream events into parts. */
export class OpenAIResponsesEventMapper {
  /** The terminal part, once `response.completed` / `response.incomplete` arrived. */
  terminal: StreamPart | undefined;
  private refused = false;
  private readonly tools = new ToolCallAssembler();

  constructor(private readonly provider: string) {}

  /** True once the terminal event arrived. */
  get done(): boolean {
    return this.terminal !== undefined;
  }

  /** The terminal part (call once {@link done}). */
  finish(): StreamPart {
    return this.terminal!;
  }

  map(event: unknown, out: StreamPart[]): void {
    if (typeof event !== 'object' || event === null) return;
    const e = event as Record<string, unknown>;
    switch (e.type) {
      case 'response.output_text.delta':
        if (typeof e.delta === 'string' && e.delta !== '') out.push({ type: 'text-delta', text: e.delta });
        return;
      case 'response.function_call_arguments.delta': {
        const call = this.tools.get(String(e.item_id));
        if (call && typeof e.delta === 'string' && e.delta !== '') {
          call.argsText += e.delta;
          out.push({ type: 'tool-call-delta', toolCallId: call.toolCallId, index: call.index, argsTextDelta: e.delta });
        }
        return;
      }
      case 'response.reasoning_summary_text.delta':
      case 'response.reasoning_text.delta':
        if (typeof e.delta === 'string' && e.delta !== '') out.push({ type: 'reasoning-delta', text: e.delta });
        return;
      case 'response.refusal.delta':
        if (typeof e.delta === 'string' && e.delta !== '') {
          this.refused = true;
          out.push({ type: 'text-delta', text: e.delta, refusal: true });
        }
        return;
      case 'response.created': {
        const r = (e.response ?? {}) as Record<string, unknown>;
        out.push(responseMetadataPart(r.id, r.model));
        return;
      }
      case 'response.output_item.added': {
        const item = (e.item ?? {}) as Record<string, unknown>;
        if (item.type === 'function_call') {
          const id = typeof item.call_id === 'string' ? item.call_id : String(item.id);
          const name = typeof item.name === 'string' ? item.name : '';
          const call = this.tools.start(String(item.id), id, name);
          out.push({ type: 'tool-call-start', toolCallId: id, index: call.index, toolName: name });
        }
        return;
      }
      case 'response.output_item.done': {
        const item = (e.item ?? {}) as Record<string, unknown>;
        if (item.type === 'function_call') {
          const part = this.tools.complete(String(item.id));
          if (part) out.push(part);
        }
        return;
      }
      case 'response.completed':
      case 'response.incomplete': {
        const r = (e.response ?? {}) as Record<string, unknown>;
        for (const part of this.tools.completeAll()) out.push(part);
        if (typeof r.usage === 'object' && r.usage !== null) out.push({ type: 'usage', usage: openAIResponsesUsage(r.usage as Record<string, unknown>) });
        const incomplete = (r.incomplete_details as Record<string, unknown> | null | undefined)?.reason;
        let reason: FinishReason = 'stop';
        let raw = typeof r.status === 'string' ? r.status : 'completed';
        if (e.type === 'response.incomplete') {
          raw = typeof incomplete === 'string' ? incomplete : 'incomplete';
          reason = raw === 'max_output_tokens' ? 'length' : raw === 'content_filter' ? 'content-filter' : 'other';
        } else if (this.refused) reason = 'content-filter';
        else if (this.tools.size > 0) reason = 'tool-calls';
        this.terminal = { type: 'finish', reason, rawReason: raw };
        return;
      }
      case 'response.failed': {
        // `response.error` is `{ code, message }`: the code (`server_error`, `rate_limit_exceeded`)
        // decides retryable; the message is kept.
        const r = (e.response ?? {}) as Record<string, unknown>;
        const error = isRecord(r.error) ? r.error : { message: 'response failed' };
        throw providerHttpError({ provider: this.provider, body: { error: { type: error.type ?? error.code, code: error.code, message: error.message ?? 'response failed' } } });
      }
      case 'error': {
        // Two shapes on the wire: flat `{type:"error", code, message}` and nested `{type:"error", error:{type, code, message}}`.
        const error = isRecord(e.error) ? e.error : e;
        const type = error.type !== 'error' ? (error.type ?? error.code) : error.code;
        throw providerHttpError({ provider: this.provider, body: { error: { type, code: error.code, message: error.message } } });
      }
      default:
        return;
    }
  }
}

/**
 * The OpenAI Responses API, through your `openai` client or `fetch`. Only `response.completed` /
 * `response.incomplete` complete a stream; `response.failed` and `error` events are typed errors.
 */
export function createOpenAIResponsesProvider(options: OpenAIResponsesProviderOptions = {}): Provider {
  const headers = { accept: 'text/event-stream', ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}) };

  return createFetchProvider(options, { name: 'openai', baseURL: 'https://api.openai.com/v1' }, async function* raw(request, model, signal, { name, post }) {
    const body = openAIResponsesBody(request, model);
    let batches: AsyncIterable<unknown[]>;
    if (options.client) {
      const call = options.client.responses.create(body as Parameters<OpenAIResponsesClient['responses']['create']>[0], { signal, maxRetries: 0 });
      batches = await sdkEventBatches(call, name);
    } else {
      batches = parseEventBatches(readServerSentEventBatches(await post('responses', headers, body, signal)), name);
    }
    yield* mapEventBatches(batches, new OpenAIResponsesEventMapper(name), name);
  });
}
