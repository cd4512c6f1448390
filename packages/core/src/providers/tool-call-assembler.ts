import type { ToolCallPart } from '../protocol/stream-part';
import { safeParseJSON } from '../util/safe-parse-json';

/** A tool call whose arguments are still arriving. */
export interface PendingCall {
  toolCallId: string;
  index: number;
  toolName: string;
  argsText: string;
  done: boolean;
}

/**
 * Accumulates tool calls whose arguments arrive as JSON text pieces (possibly interleaved across
 * parallel calls) and produces the completed `tool-call` parts with parsed arguments. Calls are
 * keyed by the provider's own key (OpenAI's `index`, Anthropic's content block index, ...).
 */
export class ToolCallAssembler {
  private readonly calls = new Map<number | string, PendingCall>();
  private count = 0;

  /** Registers a call; returns its position among this response's tool calls. */
  start(key: number | string, toolCallId: string, toolName: string): PendingCall {
    const call: PendingCall = { toolCallId, index: this.count++, toolName, argsText: '', done: false };
    this.calls.set(key, call);
    return call;
  }

  get(key: number | string): PendingCall | undefined {
    return this.calls.get(key);
  }

  get size(): number {
    return this.count;
  }

  /** Completes one call (idempotent: returns undefined the second time). */
  complete(key: number | string): ToolCallPart | undefined {
    const call = this.calls.get(key);
    if (!call || call.done) return undefined;
    call.done = true;
    return toolCallPart(call);
  }

  /** Completes every call not yet completed, in index order. */
  completeAll(): ToolCallPart[] {
    const parts: ToolCallPart[] = [];
    for (const call of this.calls.values()) {
      if (call.done) continue;
      call.done = true;
      parts.push(toolCallPart(call));
    }
    return parts;
  }
}

function toolCallPart(call: PendingCall): ToolCallPart {
  const text = call.argsText.trim();
  // A tool without parameters is called with empty arguments: that is `{}`, not an error.
  const parsed = text === '' ? { success: true as const, value: {} } : safeParseJSON(text);
  return {
    type: 'tool-call',
    toolCallId: call.toolCallId,
    index: call.index,
    toolName: call.toolName,
    args: parsed.success ? parsed.value : undefined,
    argsText: call.argsText,
  };
}

