import type { Message, ToolDefinition } from '../protocol/message';
import { toolResultText } from './openai-chat-messages';

/** An image block: a URL source, or base64 bytes (also unpacked from a `data:` URL). */
function imageBlock(part: { url?: string; data?: string; mediaType?: string }): Record<string, unknown> {
  const dataUrl = part.url?.match(/^data:([^;,]+);base64,(.*)$/s);
  if (dataUrl) return { type: 'image', source: { type: 'base64', media_type: dataUrl[1], data: dataUrl[2] } };
  if (part.url) return { type: 'image', source: { type: 'url', url: part.url } };
  return { type: 'image', source: { type: 'base64', media_type: part.mediaType ?? 'image/png', data: part.data ?? '' } };
}

/**
 * Twin messages in Anthropic Messages form: system messages become the top-level `system`, tool
 * calls become `tool_use` blocks and tool results `tool_result` blocks in a user turn.
 */
export function toAnthropicMessages(messages: Message[]): { system?: string; messages: Array<Record<string, unknown>> } {
  const system: string[] = [];
  const out: Array<Record<string, unknown>> = [];
  for (const message of messages) {
    if (message.role === 'system') {
      system.push(typeof message.content === 'string' ? message.content : message.content.map((p) => (p.type === 'text' ? p.text : '')).join(''));
      continue;
    }
    const role = message.role === 'assistant' ? 'assistant' : 'user';
    if (typeof message.content === 'string') {
      out.push({ role, content: message.content });
      continue;
    }
    const blocks: Array<Record<string, unknown>> = [];
    for (const p of message.content) {
      if (p.type === 'text') blocks.push({ type: 'text', text: p.text });
      else if (p.type === 'image') blocks.push(imageBlock(p));
      else if (p.type === 'tool-call') blocks.push({ type: 'tool_use', id: p.toolCallId, name: p.toolName, input: p.args ?? {} });
      else blocks.push({ type: 'tool_result', tool_use_id: p.toolCallId, content: toolResultText(p.result), ...(p.isError ? { is_error: true } : {}) });
    }
    out.push({ role, content: blocks });
  }
  return { ...(system.length ? { system: system.join('\n\n') } : {}), messages: out };
}

export function toAnthropicTools(tools: ToolDefinition[] | undefined): Array<Record<string, unknown>> | undefined {
  if (!tools?.length) return undefined;
  return tools.map((t) => ({ name: t.name, ...(t.description ? { description: t.description } : {}), input_schema: t.parameters }));
}
