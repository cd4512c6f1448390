import type { CompleteEventData, StreamEvent, ToolCallChunk } from '../protocol/stream-event';
import type { FinishReason, Usage } from '../protocol/usage';
import { compatErrorInput } from './compat-error';
import { twinAnswerInfo, type TwinAnswerInfo } from './compat-stream-info';
import { openAIError, type OpenAIErrorBody } from './openai-error';

/** OpenAI's usage object. Counts the provider did not report are left out (Twin never invents a 0). */
export interface OpenAIUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  prompt_tokens_details?: { cached_tokens: number };
  completion_tokens_details?: { reasoning_tokens: number };
}

/** One `chat.completion.chunk`. */
export interface OpenAIChatChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: Array<{
    index: 0;
    delta: {
      role?: 'assistant';
      content?: string | null;
      /** Reasoning text, under the name DeepSeek, vLLM and the AI SDK's OpenAI-compatible provider read. */
      reasoning_content?: string;
      tool_calls?: Array<{ index: number; id?: string; type?: 'function'; function: { name?: string; arguments: string } }>;
    };
    logprobs: null;
    finish_reason: string | null;
  }>;
  usage?: OpenAIUsage | null;
  /** Twin's receipt, on the usage chunk. */
  twin?: TwinAnswerInfo;
}

/** What a chunker sends for one event: chunks, an error body (the stream ends), and whether `[DONE]` follows. */
export interface OpenAIChunkOutput {
  chunks: OpenAIChatChunk[];
  error?: OpenAIErrorBody;
  done?: boolean;
}

export interface OpenAIChatChunkerOptions {
  /** The `chatcmpl-…` id every chunk carries. */
  id: string;
  /** The model name the client asked for (echoed in every chunk). */
  model: string;
  /** Unix seconds. */
  created: number;
  /** `stream_options.include_usage`: a usage chunk (with `choices: []`) before `[DONE]`, and `usage: null` on the others. */
  includeUsage: boolean;
  /** Twin's stream id, for the receipt. */
  streamId: string;
}

const FINISH: Record<FinishReason, string> = {
  stop: 'stop',
  length: 'length',
  'tool-calls': 'tool_calls',
  'content-filter': 'content_filter',
  error: 'stop',
  aborted: 'stop',
  truncated: 'length',
  other: 'stop',
};

/** Twin's finish reason as OpenAI's `finish_reason`. */
export function openAIFinishReason(reason: FinishReason): string {
  return FINISH[reason];
}

/** Twin's usage as OpenAI's (`prompt_tokens` includes cached tokens in both). */
export function openAIWireUsage(usage: Omit<Usage, 'raw'> | undefined): OpenAIUsage | undefined {
  if (usage === undefined) return undefined;
  const out: OpenAIUsage = {};
  if (usage.inputTokens !== undefined) out.prompt_tokens = usage.inputTokens;
  if (usage.outputTokens !== undefined) out.completion_tokens = usage.outputTokens;
  if (usage.inputTokens !== undefined && usage.outputTokens !== undefined) out.total_tokens = usage.inputTokens + usage.outputTokens;
  if (usage.cacheReadTokens !== undefined) out.prompt_tokens_details = { cached_tokens: usage.cacheReadTokens };
  if (usage.reasoningTokens !== undefined) out.completion_tokens_details = { reasoning_tokens: usage.reasoningTokens };
  return out;
}

/**
 * Translates Twin stream events into OpenAI Chat Completions chunks, in order: the `role` chunk at
 * `start`, content/reasoning/tool-call deltas per `chunk`, and at `complete` the `finish_reason`
 * chunk, the usage chunk (when asked for, carrying Twin's receipt) and `[DONE]`. An `error` event
 * becomes OpenAI's in-stream error object, which the official SDK throws as an `APIError`.
 * Sealed chunks and resyncs never reach this door (it offers no codec, and resumes use Twin's own
 * endpoint); they are skipped.
 */
export class OpenAIChatChunker {
  /** Argument characters sent per call id (a call with none gets `{}` when done: clients parse it as JSON). */
  private readonly announced = new Map<string, number>();
  private readonly tail: { usage?: null };

  constructor(private readonly options: OpenAIChatChunkerOptions) {
    this.tail = options.includeUsage ? { usage: null } : {};
  }

  push(event: StreamEvent): OpenAIChunkOutput {
    switch (event.type) {
      case 'start':
        return { chunks: [this.chunk({ role: 'assistant', content: '' }, null)] };
      case 'chunk': {
        const data = event.data as { text?: string; reasoning?: string; tools?: ToolCallChunk[]; codec?: string };
        if (data.codec !== undefined) return { chunks: [] };
        const chunks: OpenAIChatChunk[] = [];
        if (data.reasoning) chunks.push(this.chunk({ reasoning_content: data.reasoning }, null));
        if (data.text) chunks.push(this.chunk({ content: data.text }, null));
        if (data.tools?.length) {
          const calls = this.toolDeltas(data.tools);
          if (calls.length) chunks.push(this.chunk({ tool_calls: calls }, null));
        }
        return { chunks };
      }
      case 'complete':
        return this.complete(event.data);
      case 'error':
        return { chunks: [], error: openAIError(compatErrorInput(event.data)) };
      default:
        return { chunks: [] };
    }
  }

  private complete(data: CompleteEventData): OpenAIChunkOutput {
    const chunks = [this.chunk({}, openAIFinishReason(data.finishReason))];
    if (this.options.includeUsage) {
      const usage = openAIWireUsage(data.usage) ?? null;
      chunks.push({
        id: this.options.id,
        object: 'chat.completion.chunk',
        created: this.options.created,
        model: this.options.model,
        choices: [],
        usage,
        twin: twinAnswerInfo(this.options.streamId, data),
      });
    }
    return { chunks, done: true };
  }

  /** The first piece of a call carries its id, type and name; later ones only argument text. */
  private toolDeltas(tools: ToolCallChunk[]) {
    const calls: NonNullable<OpenAIChatChunk['choices'][0]['delta']['tool_calls']> = [];
    for (const piece of tools) {
      const sent = this.announced.get(piece.id);
      let args = piece.argsDelta ?? '';
      if (piece.done && (sent ?? 0) + args.length === 0) args = JSON.stringify(piece.args ?? {});
      this.announced.set(piece.id, (sent ?? 0) + args.length);
      if (sent === undefined) calls.push({ index: piece.index, id: piece.id, type: 'function', function: { name: piece.name ?? '', arguments: args } });
      else if (args) calls.push({ index: piece.index, function: { arguments: args } });
    }
    return calls;
  }

  private chunk(delta: OpenAIChatChunk['choices'][0]['delta'], finishReason: string | null): OpenAIChatChunk {
    return {
      id: this.options.id,
      object: 'chat.completion.chunk',
      created: this.options.created,
      model: this.options.model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      ...this.tail,
    };
  }
}
