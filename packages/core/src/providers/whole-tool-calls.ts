import type { FinishPart, StreamPart, ToolCallPart } from '../protocol/stream-part';
import type { FinishReason } from '../protocol/usage';
import { toolCallIdPrefix } from './synthetic-tool-call-id';

/** A tool call as the provider sent it: id and name are whatever the chunk held. */
export interface WholeToolCall {
  id: unknown;
  name: unknown;
  args: unknown;
  argsText: string;
}

/**
 * The tool calls of a provider that sends each call whole (Gemini, Ollama): numbers them, names
 * the ones sent without an id, appends their parts, and turns the provider's "stop" after calls
 * into `tool-calls` (both say stop when the turn ended in calls).
 */
export class WholeToolCalls {
  private count = 0;
  private idPrefix: string | undefined;

  /** `random` makes the ids of calls sent without one unique when the response has no id. */
  constructor(private readonly random: () => number) {}

  /** Bases the ids of calls sent without one on the response's id; the first id seen stays. */
  useResponseId(responseId: string): void {
    this.idPrefix ??= toolCallIdPrefix(this.random, responseId);
  }

  push(out: StreamPart[], call: WholeToolCall): void {
    const index = this.count++;
    this.idPrefix ??= toolCallIdPrefix(this.random);
    const toolCallId = typeof call.id === 'string' ? call.id : `${this.idPrefix}_${index}`;
    const toolName = typeof call.name === 'string' ? call.name : '';
    pushWholeToolCall(out, { toolCallId, index, toolName, args: call.args, argsText: call.argsText });
  }

  /** The `finish` part for the provider's raw reason; `reasons` maps the provider's words (unknown ones are `other`). */
  finishPart(raw: string, reasons: Record<string, FinishReason>): FinishPart {
    const mapped = reasons[raw] ?? 'other';
    const reason = mapped === 'stop' && this.count > 0 ? 'tool-calls' : mapped;
    return { type: 'finish', reason, rawReason: raw };
  }
}

/** Start → delta → call, the same sequence as a streamed call, so consumers need no second path. */
function pushWholeToolCall(out: StreamPart[], call: Omit<ToolCallPart, 'type'>): void {
  const { toolCallId, index, toolName, argsText } = call;
  out.push({ type: 'tool-call-start', toolCallId, index, toolName });
  out.push({ type: 'tool-call-delta', toolCallId, index, argsTextDelta: argsText });
  out.push({ type: 'tool-call', ...call });
}
