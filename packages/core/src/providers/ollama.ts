import { TwinError } from '../errors/twin-error';
import type { Message, ToolDefinition } from '../protocol/message';
import type { StreamPart } from '../protocol/stream-part';
import type { FinishReason, Usage } from '../protocol/usage';
import { safeParseJSON } from '../util/safe-parse-json';
import { createFetchProvider, type FetchProviderOptions } from './create-fetch-provider';
import { mapEventBatches } from './map-event-batches';
import { toolResultText } from './openai-chat-messages';
import { parseNdjsonLineBatches } from './parse-ndjson-line-batches';
import type { Provider, ProviderRequest } from './provider';
import { readNdjsonLineBatches } from './read-ndjson-line-batches';
import { samplingOptions } from './sampling-options';
import { WholeCallEventMapper } from './whole-call-event-mapper';

export interface OllamaProviderOptions extends FetchProviderOptions {
  /** Default `http://127.0.0.1:11434` (the native API; for its OpenAI-compatible `/v1` use the OpenAI chat adapter). */
  baseURL?: string;
  /** Default `ollama`. */
  name?: string;
}

/** Ollama takes images as bare base64 only. */
function imageData(part: { url?: string; data?: string }): string {
  if (part.data) return part.data;
  const dataUrl = part.url?.match(/^data:[^;,]+;base64,(.*)$/s);
  if (dataUrl) return dataUrl[1]!;
  throw new TwinError('invalid_request', 'Ollama takes images as base64 data, not as a URL.', { provider: 'ollama' });
}

export function toOllamaMessages(messages: Message[]): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  const names = new Map<string, string>();
  for (const message of messages) {
    if (typeof message.content === 'string') {
      out.push({ role: message.role, content: message.content });
      continue;
    }
    let text = '';
    const images: string[] = [];
    const calls: Array<Record<string, unknown>> = [];
    for (const p of message.content) {
      if (p.type === 'text') text += p.text;
      else if (p.type === 'image') images.push(imageData(p));
      else if (p.type === 'tool-call') {
        names.set(p.toolCallId, p.toolName);
        calls.push({ function: { name: p.toolName, arguments: p.args ?? {} } });
      } else out.push({ role: 'tool', content: toolResultText(p.result), tool_name: p.toolName ?? names.get(p.toolCallId) });
    }
    if (text !== '' || images.length || calls.length) {
      out.push({
        role: message.role === 'tool' ? 'user' : message.role,
        content: text,
        ...(images.length ? { images } : {}),
        ...(calls.length ? { tool_calls: calls } : {}),
      });
    }
  }
  return out;
}

function toOllamaTools(tools: ToolDefinition[] | undefined): Array<Record<string, unknown>> | undefined {
  if (!tools?.length) return undefined;
  return tools.map((t) => ({ type: 'function', function: { name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.parameters } }));
}

export function ollamaBody(request: ProviderRequest, model: string): Record<string, unknown> {
  const { options: extraOptions, ...rest } = (request.providerOptions ?? {}) as { options?: Record<string, unknown> };
  const options = samplingOptions(request, { maxTokens: 'num_predict', stop: 'stop' }, extraOptions);
  const tools = toOllamaTools(request.tools);
  return {
    model,
    messages: toOllamaMessages(request.messages),
    stream: true,
    ...(tools ? { tools } : {}),
    ...(options ? { options } : {}),
    ...rest,
  };
}

/** Ollama's final line → Twin usage: `prompt_eval_count` is input, `eval_count` output (thinking included). */
export function ollamaUsage(raw: Record<string, unknown>): Usage {
  const usage: Usage = { raw };
  if (typeof raw.prompt_eval_count === 'number') usage.inputTokens = raw.prompt_eval_count;
  if (typeof raw.eval_count === 'number') usage.outputTokens = raw.eval_count;
  return usage;
}

const FINISH: Record<string, FinishReason> = { stop: 'stop', length: 'length' };

/** Translates `/api/chat` NDJSON lines into parts. */
export class OllamaLineMapper extends WholeCallEventMapper {
  doneReason: string | undefined;
  done = false;

  protected mapRecord(l: Record<string, unknown>, out: StreamPart[]): void {
    // Ollama sends no response id; tool call ids are made up (unique through `random`).
    this.pushMetadataOnce(undefined, l.model, out);
    const message = l.message as Record<string, unknown> | undefined;
    if (message) {
      if (typeof message.thinking === 'string' && message.thinking !== '') out.push({ type: 'reasoning-delta', text: message.thinking });
      if (typeof message.content === 'string' && message.content !== '') out.push({ type: 'text-delta', text: message.content });
      const calls = message.tool_calls as Array<Record<string, unknown>> | undefined;
      if (calls) {
        for (const call of calls) {
          const fn = (call.function ?? {}) as Record<string, unknown>;
          const args = fn.arguments ?? {};
          const argsText = typeof args === 'string' ? args : JSON.stringify(args);
          const parsedText = typeof args === 'string' ? safeParseJSON(args) : undefined;
          const parsed = parsedText ? (parsedText.success ? parsedText.value : undefined) : args;
          this.calls.push(out, { id: call.id, name: fn.name, args: parsed, argsText });
        }
      }
    }
    if (l.done === true) {
      this.done = true;
      this.doneReason = typeof l.done_reason === 'string' ? l.done_reason : undefined;
      out.push({ type: 'usage', usage: ollamaUsage(l) });
    }
  }

  finish(): StreamPart {
    return this.calls.finishPart(this.doneReason ?? 'stop', FINISH);
  }
}

/**
 * Ollama's native `/api/chat` NDJSON stream through `fetch`: text, `thinking`, tool calls (sent
 * whole), usage from the final `done: true` line (the terminal event), `{"error": ...}` lines.
 */
export function createOllamaProvider(options: OllamaProviderOptions = {}): Provider {
  return createFetchProvider(options, { name: 'ollama', baseURL: 'http://127.0.0.1:11434' }, async function* raw(request, model, signal, { name, env, post }) {
    const stream = await post('api/chat', { accept: 'application/x-ndjson' }, ollamaBody(request, model), signal);
    yield* mapEventBatches(parseNdjsonLineBatches(readNdjsonLineBatches(stream), name), new OllamaLineMapper(name, env.random), name);
  });
}
