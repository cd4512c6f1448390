import { z } from 'zod';
import type { ContentPart, Message } from '../protocol/message';
import { streamRequestSchema } from '../protocol/stream-request';

/** One part of an AI SDK `UIMessage`. Only what Twin sends to a model is read; other parts pass validation untouched. */
const uiPartSchema = z.looseObject({
  type: z.string().min(1).max(256),
  text: z.string().optional(),
  toolCallId: z.string().optional(),
  toolName: z.string().optional(),
  state: z.string().optional(),
  input: z.unknown().optional(),
  output: z.unknown().optional(),
  errorText: z.string().optional(),
  mediaType: z.string().optional(),
  url: z.string().optional(),
});
export type UIMessagePart = z.infer<typeof uiPartSchema>;

/** An AI SDK `UIMessage`. */
export const uiMessageSchema = z.looseObject({
  id: z.string().max(256),
  role: z.enum(['system', 'user', 'assistant']),
  parts: z.array(uiPartSchema).max(10_000),
  metadata: z.unknown().optional(),
});
export type UIMessage = z.infer<typeof uiMessageSchema>;

/**
 * The body the AI SDK's `DefaultChatTransport` posts (`{ id, messages, trigger, messageId }` plus the
 * transport's `body` option), with Twin's request fields (provider, model, tools, maxTokens, ...)
 * allowed beside them.
 */
export const uiChatRequestSchema = streamRequestSchema.omit({ messages: true }).extend({
  id: z.string().min(1).max(256),
  messages: z.array(uiMessageSchema).min(1).max(1_000),
  trigger: z.enum(['submit-message', 'regenerate-message']).optional(),
  messageId: z.string().max(256).optional(),
});
export type UIChatRequest = z.infer<typeof uiChatRequestSchema>;

// `tool-<name>` (a tool the app declared) or `dynamic-tool` (with its name in `toolName`).
function toolNameOf(part: UIMessagePart): string | undefined {
  if (part.type === 'dynamic-tool') return part.toolName;
  return part.type.startsWith('tool-') ? part.type.slice(5) : undefined;
}

function userContent(parts: readonly UIMessagePart[]): string | ContentPart[] {
  const content: ContentPart[] = [];
  for (const part of parts) {
    if (part.type === 'text' && part.text) content.push({ type: 'text', text: part.text });
    else if (part.type === 'file' && part.url && part.mediaType?.startsWith('image/')) content.push({ type: 'image', url: part.url, mediaType: part.mediaType });
  }
  return content.every((p) => p.type === 'text') ? content.map((p) => (p as { text: string }).text).join('') : content;
}

/**
 * Twin messages for a `useChat` conversation. An assistant message may hold several steps (text,
 * tool calls with their results, more text): each step becomes an assistant message, followed by a
 * `tool` message with the results its calls got. Reasoning, sources and data parts are not sent back.
 */
export function uiMessagesToMessages(messages: readonly UIMessage[]): Message[] {
  const out: Message[] = [];
  for (const message of messages) {
    if (message.role !== 'assistant') {
      const content = userContent(message.parts);
      out.push({ role: message.role, content: message.role === 'system' && typeof content !== 'string' ? '' : content });
      continue;
    }
    let content: ContentPart[] = [];
    let results: ContentPart[] = [];
    const flush = () => {
      if (content.length > 0) out.push({ role: 'assistant', content: content.length === 1 && content[0]!.type === 'text' ? content[0]!.text : content });
      if (results.length > 0) out.push({ role: 'tool', content: results });
      content = [];
      results = [];
    };
    for (const part of message.parts) {
      if (part.type === 'text' && part.text) {
        if (results.length > 0) flush();
        const prev = content[content.length - 1];
        if (prev?.type === 'text') content[content.length - 1] = { type: 'text', text: prev.text + part.text };
        else content.push({ type: 'text', text: part.text });
        continue;
      }
      const toolName = toolNameOf(part);
      if (!toolName || !part.toolCallId || part.state === 'input-streaming') continue;
      content.push({ type: 'tool-call', toolCallId: part.toolCallId, toolName, args: part.input ?? {} });
      if (part.state === 'output-available') results.push({ type: 'tool-result', toolCallId: part.toolCallId, toolName, result: part.output ?? null });
      else if (part.state === 'output-error') {
        results.push({ type: 'tool-result', toolCallId: part.toolCallId, toolName, result: part.errorText ?? 'error', isError: true });
      }
    }
    flush();
  }
  return out;
}
