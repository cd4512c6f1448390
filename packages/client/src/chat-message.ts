import type { CostReceipt, FinishReason, Usage } from '@twin/core';
import type { StreamClientMetrics, ClientStreamStatus } from './stream-snapshot';
import type { TwinClientError } from './twin-client-error';

/** Text the user typed or the model answered. */
export interface ChatTextPart {
  type: 'text';
  text: string;
}

/** The model's reasoning, when it sent any. */
export interface ChatReasoningPart {
  type: 'reasoning';
  text: string;
}

/**
 * A tool call and, once known, its result. `state` moves `input-streaming` (arguments arriving) →
 * `input-available` (the call is complete: run the tool) → `output-available` | `output-error`.
 */
export interface ChatToolPart {
  type: 'tool';
  toolCallId: string;
  toolName: string;
  /** The arguments JSON text received so far. */
  argsText: string;
  /** Parsed arguments, once the call is complete. */
  args?: unknown;
  state: 'input-streaming' | 'input-available' | 'output-available' | 'output-error';
  /** The tool's result (`output-available`), sent back to the model with the next request. */
  output?: unknown;
  /** Why the tool failed (`output-error`); sent back to the model as an error result. */
  errorText?: string;
}

/** One piece of a chat message. */
export type ChatPart = ChatTextPart | ChatReasoningPart | ChatToolPart;

/**
 * The stream behind an assistant message: where it is and what it cost. Every number comes from the
 * server once it sent one (`usage` from `complete`, `cost` from the receipt); until then only the
 * client's live estimate in `metrics` exists (see `answerNumbers`).
 */
export interface ChatAnswer {
  status: ClientStreamStatus;
  /** Set from the stream's `start` event (or before it, when resuming a known stream). */
  streamId?: string;
  provider?: string;
  model?: string;
  /** The server said no real model answered (its offline simulated provider). */
  simulated?: boolean;
  finishReason?: FinishReason;
  /** Usage from the `complete` event (or the error, when the server reported it). */
  usage?: Omit<Usage, 'raw'>;
  /** The server's receipt: from `complete`, or from the answer to `stop()`'s cancel request. */
  cost?: CostReceipt;
  error?: TwinClientError;
  metrics: StreamClientMetrics;
}

/** One message of a chat. Immutable: a change makes a new object (and a new `messages` array). */
export interface ChatMessage {
  id: string;
  role: 'user' | 'assistant';
  parts: readonly ChatPart[];
  /** Assistant messages: the stream that produced it. */
  answer?: ChatAnswer;
}

/** All text parts of a message, joined. */
export function messageText(message: Pick<ChatMessage, 'parts'>): string {
  let out = '';
  for (const part of message.parts) if (part.type === 'text') out += part.text;
  return out;
}
