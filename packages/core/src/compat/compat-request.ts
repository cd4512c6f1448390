import type { Message, ToolDefinition } from '../protocol/message';

/**
 * A request that came in through a compatible door (OpenAI Chat Completions, Anthropic Messages),
 * translated to Twin's provider-neutral form. The model is kept as the client wrote it
 * (`provider/model` or an alias): the server resolves it to a provider.
 */
export interface CompatRequest {
  /** The model name exactly as the client sent it. */
  model: string;
  /** The client asked for a streamed answer. */
  stream: boolean;
  /** OpenAI's `stream_options.include_usage`: send the usage chunk before `[DONE]`. */
  includeUsage: boolean;
  messages: Message[];
  tools?: ToolDefinition[];
  maxTokens?: number;
  temperature?: number;
  stop?: string[];
  /** Options Twin has no field for, in neutral form; {@link upstreamOptions} maps them per upstream. */
  extras: CompatExtras;
  /** Stored with the stream (OpenAI's `metadata` and `user`, Anthropic's `metadata.user_id`). */
  metadata?: Record<string, string>;
  /** The end user (OpenAI's `user`, Anthropic's `metadata.user_id`): the stream's `user`, billed and budgeted per user. */
  user?: string;
}

/** How the model may use tools: OpenAI's `tool_choice` and Anthropic's, in one form. */
export type CompatToolChoice = 'auto' | 'none' | 'required' | { name: string };

/** Response format (OpenAI's `response_format`). */
export type CompatResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema?: Record<string, unknown>; strict?: boolean };

/** Options with no Twin field, passed to upstreams that support them and dropped by the others. */
export interface CompatExtras {
  toolChoice?: CompatToolChoice;
  parallelToolCalls?: boolean;
  topP?: number;
  topK?: number;
  seed?: number;
  responseFormat?: CompatResponseFormat;
  user?: string;
}
