import type { ChatAnswer, ChatPart, ChatToolPart } from './chat-message';
import type { StreamSnapshot } from './stream-snapshot';

/**
 * An assistant message's parts and answer from its stream's snapshot: reasoning, then text, then tool
 * calls. Tool results already recorded in `previous` parts are kept (the stream does not know them).
 */
export function answerFromSnapshot(s: StreamSnapshot, previous: readonly ChatPart[]): { parts: ChatPart[]; answer: ChatAnswer } {
  const parts: ChatPart[] = [];
  if (s.reasoning) parts.push({ type: 'reasoning', text: s.reasoning });
  if (s.text) parts.push({ type: 'text', text: s.text });
  for (const call of s.toolCalls) {
    const before = previous.find((p): p is ChatToolPart => p.type === 'tool' && p.toolCallId === call.id);
    const tool: ChatToolPart = {
      type: 'tool',
      toolCallId: call.id,
      toolName: call.name,
      argsText: call.argsText,
      state: call.done ? 'input-available' : 'input-streaming',
    };
    if (call.args !== undefined) tool.args = call.args;
    parts.push(before && before.state.startsWith('output') ? { ...tool, state: before.state, output: before.output, errorText: before.errorText } : tool);
  }
  const answer: ChatAnswer = { status: s.status, metrics: s.metrics };
  if (s.streamId !== undefined) answer.streamId = s.streamId;
  if (s.provider !== undefined) answer.provider = s.provider;
  if (s.model !== undefined) answer.model = s.model;
  if (s.simulated || s.cost?.simulated) answer.simulated = true;
  if (s.finishReason !== undefined) answer.finishReason = s.finishReason;
  if (s.usage !== undefined) answer.usage = s.usage;
  if (s.cost !== undefined) answer.cost = s.cost;
  if (s.error !== undefined) answer.error = s.error;
  return { parts, answer };
}
