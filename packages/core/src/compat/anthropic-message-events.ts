import type { CompleteEventData, StreamEvent, ToolCallChunk } from '../protocol/stream-event';
import type { FinishReason, Usage } from '../protocol/usage';
import { compatErrorInput } from './compat-error';
import { twinAnswerInfo, type TwinAnswerInfo } from './compat-stream-info';
import { anthropicError } from './anthropic-error';

/** One Anthropic streaming event: its SSE event name and its JSON data (which repeats the name as `type`). */
export interface AnthropicStreamEvent {
  event: string;
  data: Record<string, unknown> & { type: string };
}

/** Anthropic's usage object (`input_tokens` excludes cache reads and writes, unlike Twin's `inputTokens`). */
export interface AnthropicUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
}

export interface AnthropicMessageEventsOptions {
  /** The `msg_…` id. */
  id: string;
  /** The model name the client asked for. */
  model: string;
  /** Twin's stream id, for the receipt. */
  streamId: string;
}

const STOP: Record<FinishReason, string> = {
  stop: 'end_turn',
  length: 'max_tokens',
  'tool-calls': 'tool_use',
  'content-filter': 'refusal',
  error: 'end_turn',
  aborted: 'end_turn',
  truncated: 'max_tokens',
  other: 'end_turn',
};

/** Twin's finish reason as Anthropic's `stop_reason` (a stop sequence when the upstream said so). */
export function anthropicStopReason(reason: FinishReason, raw: string | undefined): string {
  return reason === 'stop' && raw === 'stop_sequence' ? 'stop_sequence' : STOP[reason];
}

/** Twin's usage as Anthropic's; counts the provider did not report are left out. */
export function anthropicWireUsage(usage: Omit<Usage, 'raw'> | undefined): AnthropicUsage {
  const out: AnthropicUsage = {};
  if (usage === undefined) return out;
  if (usage.inputTokens !== undefined) out.input_tokens = usage.inputTokens - (usage.cacheReadTokens ?? 0) - (usage.cacheWriteTokens ?? 0);
  if (usage.outputTokens !== undefined) out.output_tokens = usage.outputTokens;
  if (usage.cacheReadTokens !== undefined) out.cache_read_input_tokens = usage.cacheReadTokens;
  if (usage.cacheWriteTokens !== undefined) out.cache_creation_input_tokens = usage.cacheWriteTokens;
  return out;
}

interface PendingTool {
  id: string;
  index: number;
  name: string;
  argsText: string;
}

/**
 * Translates Twin stream events into Anthropic's Messages stream: `message_start` and a `ping` at
 * `start`; text and reasoning as `text` / `thinking` content blocks (`content_block_start`, deltas,
 * `content_block_stop`) opened and closed as the kind changes; at `complete` the last block's stop,
 * `message_delta` (stop reason, usage, Twin's receipt) and `message_stop`; an `error` event as
 * Anthropic's `error` event.
 *
 * A tool call becomes one `tool_use` block when the call is complete, its input in one
 * `input_json_delta`: Anthropic's blocks never interleave, while upstreams (OpenAI's parallel calls)
 * may interleave the argument pieces of several calls.
 */
export class AnthropicMessageEvents {
  private open: { index: number; type: 'text' | 'thinking' } | undefined;
  private nextIndex = 0;
  private readonly tools = new Map<string, PendingTool>();

  constructor(private readonly options: AnthropicMessageEventsOptions) {}

  push(event: StreamEvent): AnthropicStreamEvent[] {
    switch (event.type) {
      case 'start':
        return [
          ev('message_start', {
            message: {
              id: this.options.id,
              type: 'message',
              role: 'assistant',
              model: this.options.model,
              content: [],
              stop_reason: null,
              stop_sequence: null,
              // Twin learns usage when the upstream ends: the real counts come in `message_delta`.
              usage: { input_tokens: 0, output_tokens: 0 },
            },
          }),
          ev('ping', {}),
        ];
      case 'chunk': {
        const data = event.data as { text?: string; reasoning?: string; tools?: ToolCallChunk[]; codec?: string };
        if (data.codec !== undefined) return [];
        const out: AnthropicStreamEvent[] = [];
        if (data.reasoning) this.delta(out, 'thinking', data.reasoning);
        if (data.text) this.delta(out, 'text', data.text);
        for (const piece of data.tools ?? []) this.tool(out, piece);
        return out;
      }
      case 'complete':
        return this.complete(event.data);
      case 'error':
        return [{ event: 'error', data: { ...anthropicError(compatErrorInput(event.data)) } }];
      default:
        return [];
    }
  }

  private delta(out: AnthropicStreamEvent[], type: 'text' | 'thinking', text: string): void {
    if (this.open?.type !== type) {
      this.close(out);
      const index = this.nextIndex++;
      this.open = { index, type };
      out.push(ev('content_block_start', { index, content_block: type === 'text' ? { type: 'text', text: '' } : { type: 'thinking', thinking: '', signature: '' } }));
    }
    out.push(
      ev('content_block_delta', {
        index: this.open.index,
        delta: type === 'text' ? { type: 'text_delta', text } : { type: 'thinking_delta', thinking: text },
      }),
    );
  }

  private tool(out: AnthropicStreamEvent[], piece: ToolCallChunk): void {
    let tool = this.tools.get(piece.id);
    if (tool === undefined) {
      tool = { id: piece.id, index: piece.index, name: '', argsText: '' };
      this.tools.set(piece.id, tool);
    }
    if (piece.name !== undefined) tool.name = piece.name;
    if (piece.argsDelta !== undefined) tool.argsText += piece.argsDelta;
    if (!piece.done) return;
    this.tools.delete(piece.id);
    this.close(out);
    const index = this.nextIndex++;
    out.push(ev('content_block_start', { index, content_block: { type: 'tool_use', id: tool.id, name: tool.name, input: {} } }));
    out.push(ev('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: tool.argsText === '' ? '{}' : tool.argsText } }));
    out.push(ev('content_block_stop', { index }));
  }

  private close(out: AnthropicStreamEvent[]): void {
    if (this.open === undefined) return;
    out.push(ev('content_block_stop', { index: this.open.index }));
    this.open = undefined;
  }

  private complete(data: CompleteEventData): AnthropicStreamEvent[] {
    const out: AnthropicStreamEvent[] = [];
    this.close(out);
    const twin: TwinAnswerInfo = twinAnswerInfo(this.options.streamId, data);
    out.push(
      ev('message_delta', {
        delta: { stop_reason: anthropicStopReason(data.finishReason, data.rawFinishReason), stop_sequence: null },
        usage: anthropicWireUsage(data.usage),
        twin,
      }),
    );
    out.push(ev('message_stop', {}));
    return out;
  }
}

function ev(event: string, data: Record<string, unknown>): AnthropicStreamEvent {
  return { event, data: { type: event, ...data } };
}
