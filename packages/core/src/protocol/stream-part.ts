import type { TwinErrorPayload } from '../errors/twin-error';
import type { FinishReason, Usage } from './usage';

/**
 * One normalised piece of a provider's stream. Every adapter turns its provider's wire format into a
 * sequence of these; the stream buffer, metering and billing only ever see this shape.
 *
 * A well-formed sequence is: `response-metadata`? → content parts (`text-delta`, `reasoning-delta`,
 * `tool-call-*`) → `usage`? → `finish`, or it ends with `error` instead of `finish`.
 */
export type StreamPart =
  | ResponseMetadataPart
  | TextDeltaPart
  | ReasoningDeltaPart
  | ToolCallStartPart
  | ToolCallDeltaPart
  | ToolCallPart
  | UsagePart
  | FinishPart
  | ErrorPart;

export interface ResponseMetadataPart {
  type: 'response-metadata';
  /** The provider's response id. */
  id?: string;
  /** The model that actually served the request (may differ from the one asked for). */
  model?: string;
  /** The provider that served it (set by fallback chains). */
  provider?: string;
}
export interface TextDeltaPart {
  type: 'text-delta';
  text: string;
  /**
   * True when this text is the model declining to answer (OpenAI's `refusal`), not an answer; the
   * stream then finishes with `content-filter`. Absent on answer text.
   */
  refusal?: true;
}
export interface ReasoningDeltaPart {
  type: 'reasoning-delta';
  text: string;
}
export interface ToolCallStartPart {
  type: 'tool-call-start';
  toolCallId: string;
  /** Position of the call among this response's tool calls (parallel calls interleave). */
  index: number;
  toolName: string;
}
export interface ToolCallDeltaPart {
  type: 'tool-call-delta';
  toolCallId: string;
  index: number;
  /** A piece of the JSON arguments text; concatenated pieces form `argsText`. */
  argsTextDelta: string;
}
export interface ToolCallPart {
  type: 'tool-call';
  toolCallId: string;
  index: number;
  toolName: string;
  /** Parsed arguments (`{}` for a tool called without arguments). */
  args: unknown;
  /** The exact JSON text the provider sent. */
  argsText: string;
}
export interface UsagePart {
  type: 'usage';
  usage: Usage;
}
export interface FinishPart {
  type: 'finish';
  reason: FinishReason;
  /** The provider's own finish reason, untouched. */
  rawReason?: string;
}
export interface ErrorPart {
  type: 'error';
  error: TwinErrorPayload;
  /** Usage up to the failure, when known. */
  usage?: Usage;
}

/** The parts that carry stream content (what a client renders and a replay must not lose). */
export type ContentStreamPart = TextDeltaPart | ReasoningDeltaPart | ToolCallStartPart | ToolCallDeltaPart | ToolCallPart;

export function isContentPart(part: StreamPart): part is ContentStreamPart {
  return (
    part.type === 'text-delta' ||
    part.type === 'reasoning-delta' ||
    part.type === 'tool-call-start' ||
    part.type === 'tool-call-delta' ||
    part.type === 'tool-call'
  );
}
