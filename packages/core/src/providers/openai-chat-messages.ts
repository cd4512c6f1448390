import type { Message, ToolDefinition } from '../protocol/message';

/** Data URL for base64 image bytes, or the URL as given. */
export function imageUrl(part: { url?: string; data?: string; mediaType?: string }): string {
  if (part.url) return part.url;
  return `data:${part.mediaType ?? 'image/png'};base64,${part.data ?? ''}`;
}

/** Tool results travel as text; objects are sent as their JSON. */
export function toolResultText(result: unknown): string {
  return typeof result === 'string' ? result : JSON.stringify(result ?? null);
}

/** Twin messages in OpenAI Chat Completions form (`content` parts, `tool_calls`, `role: tool`). */
export function toOpenAIChatMessages(messages: Message[]): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const message of messages) {
    if (typeof message.content === 'string') {
      out.push({ role: message.role, content: message.content });
      continue;
    }
    if (message.role === 'assistant') {
      const text = message.content.map((p) => (p.type === 'text' ? p.text : '')).join('');
      const calls = message.content.flatMap((p) =>
        p.type === 'tool-call'
          ? [{ id: p.toolCallId, type: 'function', function: { name: p.toolName, arguments: JSON.stringify(p.args ?? {}) } }]
          : [],
      );
      out.push({ role: 'assistant', content: text === '' ? null : text, ...(calls.length ? { tool_calls: calls } : {}) });
      continue;
    }
    const results = message.content.filter((p) => p.type === 'tool-result');
    for (const r of results) out.push({ role: 'tool', tool_call_id: r.toolCallId, content: toolResultText(r.result) });
    const parts: Array<{ type: string; text?: string; image_url?: { url: string } }> = [];
    for (const p of message.content) {
      if (p.type === 'text') parts.push({ type: 'text', text: p.text });
      else if (p.type === 'image') parts.push({ type: 'image_url', image_url: { url: imageUrl(p) } });
    }
    if (parts.length) {
      // System messages only take text.
      out.push(
        message.role === 'system'
          ? { role: 'system', content: parts.map((p) => p.text ?? '').join('') }
          : { role: message.role === 'tool' ? 'user' : message.role, content: parts },
      );
    }
  }
  return out;
}

export function toOpenAIChatTools(tools: ToolDefinition[] | undefined): Array<Record<string, unknown>> | undefined {
  if (!tools?.length) return undefined;
  return tools.map((t) => ({
    type: 'function',
    function: { name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.parameters },
  }));
}
