import type { Message, ToolDefinition } from '../protocol/message';

function imagePart(part: { url?: string; data?: string; mediaType?: string }): Record<string, unknown> {
  const dataUrl = part.url?.match(/^data:([^;,]+);base64,(.*)$/s);
  if (dataUrl) return { inlineData: { mimeType: dataUrl[1], data: dataUrl[2] } };
  if (part.url) return { fileData: { mimeType: part.mediaType ?? 'image/png', fileUri: part.url } };
  return { inlineData: { mimeType: part.mediaType ?? 'image/png', data: part.data ?? '' } };
}

/**
 * Twin messages as Gemini `contents` (roles `user` / `model`) plus `systemInstruction`. A function
 * response needs the function's name: it is taken from the result, or from the earlier call with
 * the same id.
 */
export function toGeminiContents(messages: Message[]): { systemInstruction?: Record<string, unknown>; contents: Array<Record<string, unknown>> } {
  const system: string[] = [];
  const contents: Array<Record<string, unknown>> = [];
  const names = new Map<string, string>();
  for (const message of messages) {
    if (message.role === 'system') {
      system.push(typeof message.content === 'string' ? message.content : message.content.map((p) => (p.type === 'text' ? p.text : '')).join(''));
      continue;
    }
    const role = message.role === 'assistant' ? 'model' : 'user';
    if (typeof message.content === 'string') {
      contents.push({ role, parts: [{ text: message.content }] });
      continue;
    }
    const parts: Array<Record<string, unknown>> = [];
    for (const p of message.content) {
      if (p.type === 'text') parts.push({ text: p.text });
      else if (p.type === 'image') parts.push(imagePart(p));
      else if (p.type === 'tool-call') {
        names.set(p.toolCallId, p.toolName);
        parts.push({ functionCall: { name: p.toolName, args: p.args ?? {} } });
      } else {
        const result = typeof p.result === 'object' && p.result !== null && !Array.isArray(p.result) ? p.result : { result: p.result };
        parts.push({ functionResponse: { name: p.toolName ?? names.get(p.toolCallId) ?? p.toolCallId, response: result } });
      }
    }
    contents.push({ role, parts });
  }
  return { ...(system.length ? { systemInstruction: { parts: [{ text: system.join('\n\n') }] } } : {}), contents };
}

export function toGeminiTools(tools: ToolDefinition[] | undefined): Array<Record<string, unknown>> | undefined {
  if (!tools?.length) return undefined;
  return [
    {
      functionDeclarations: tools.map((t) => ({ name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.parameters })),
    },
  ];
}
