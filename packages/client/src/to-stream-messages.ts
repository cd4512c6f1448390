import type { ContentPart, Message } from '@twin/core';
import { messageText, type ChatMessage } from './chat-message';

/**
 * The request messages for a chat history: user text; assistant text and tool calls; then one `tool`
 * message with the results of that assistant message's tool calls. Reasoning is not sent back, and an
 * answer that produced nothing (a failed request) is left out.
 */
export function toStreamMessages(messages: readonly ChatMessage[]): Message[] {
  const out: Message[] = [];
  for (const message of messages) {
    const text = messageText(message);
    if (message.role === 'user') {
      out.push({ role: 'user', content: text });
      continue;
    }
    const content: ContentPart[] = text ? [{ type: 'text', text }] : [];
    const results: ContentPart[] = [];
    for (const part of message.parts) {
      if (part.type !== 'tool' || part.state === 'input-streaming') continue;
      content.push({ type: 'tool-call', toolCallId: part.toolCallId, toolName: part.toolName, args: part.args ?? {} });
      if (part.state === 'output-available') results.push({ type: 'tool-result', toolCallId: part.toolCallId, toolName: part.toolName, result: part.output ?? null });
      else if (part.state === 'output-error') {
        results.push({ type: 'tool-result', toolCallId: part.toolCallId, toolName: part.toolName, result: part.errorText ?? 'error', isError: true });
      }
    }
    if (content.length === 0) continue;
    out.push({ role: 'assistant', content: content.length === 1 && content[0]!.type === 'text' ? text : content });
    if (results.length > 0) out.push({ role: 'tool', content: results });
  }
  return out;
}
