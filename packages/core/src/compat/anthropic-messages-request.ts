import { z } from 'zod';
import type { ContentPart, Message } from '../protocol/message';
import { endUserIdSchema } from '../protocol/names';
import type { CompatExtras, CompatRequest } from './compat-request';

const textBlock = z.object({ type: z.literal('text'), text: z.string() });
const imageBlock = z.object({
  type: z.literal('image'),
  source: z.discriminatedUnion('type', [
    z.object({ type: z.literal('base64'), media_type: z.string(), data: z.string() }),
    z.object({ type: z.literal('url'), url: z.string() }),
  ]),
});
const toolUseBlock = z.object({ type: z.literal('tool_use'), id: z.string(), name: z.string(), input: z.unknown() });
const toolResultBlock = z.object({
  type: z.literal('tool_result'),
  tool_use_id: z.string(),
  content: z.union([z.string(), z.array(z.discriminatedUnion('type', [textBlock, imageBlock]))]).optional(),
  is_error: z.boolean().optional(),
});
// Earlier thinking is not sent back upstream (its signature is the upstream's, not Twin's).
const thinkingBlock = z.object({ type: z.enum(['thinking', 'redacted_thinking']) }).loose();
const block = z.discriminatedUnion('type', [textBlock, imageBlock, toolUseBlock, toolResultBlock, thinkingBlock]);

/**
 * The body of Anthropic's `POST /v1/messages`, as far as Twin serves it. `max_tokens` is required,
 * as in Anthropic's API; unknown fields are ignored.
 */
export const anthropicMessagesRequestSchema = z.object({
  model: z.string().min(1).max(256),
  max_tokens: z.number().int().positive().max(1_000_000),
  messages: z
    .array(z.object({ role: z.enum(['user', 'assistant']), content: z.union([z.string(), z.array(block)]) }))
    .min(1)
    .max(1_000),
  system: z.union([z.string(), z.array(textBlock)]).optional(),
  stream: z.boolean().optional(),
  stop_sequences: z.array(z.string()).max(16).optional(),
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.number().int().positive().optional(),
  tools: z
    .array(z.object({ name: z.string().min(1).max(128), description: z.string().optional(), input_schema: z.record(z.string(), z.unknown()) }))
    .max(128)
    .optional(),
  tool_choice: z
    .discriminatedUnion('type', [
      z.object({ type: z.literal('auto'), disable_parallel_tool_use: z.boolean().optional() }),
      z.object({ type: z.literal('any'), disable_parallel_tool_use: z.boolean().optional() }),
      z.object({ type: z.literal('none') }),
      z.object({ type: z.literal('tool'), name: z.string(), disable_parallel_tool_use: z.boolean().optional() }),
    ])
    .optional(),
  /** `user_id` is the end user: Twin's `user` (declared characters, at most 128; see `endUserIdSchema`). */
  metadata: z.object({ user_id: endUserIdSchema.optional() }).optional(),
});
export type AnthropicMessagesRequest = z.infer<typeof anthropicMessagesRequestSchema>;

type Block = z.infer<typeof block>;

function toolResultContent(content: Extract<Block, { type: 'tool_result' }>['content']): unknown {
  if (content === undefined) return '';
  if (typeof content === 'string') return content;
  return content.map((b) => (b.type === 'text' ? b.text : '')).join('');
}

/** Anthropic messages in Twin's form: tool results become `tool` messages (Twin's adapters put them back where each upstream wants them). */
function toTwinMessages(body: AnthropicMessagesRequest): Message[] {
  const out: Message[] = [];
  if (body.system !== undefined) {
    const system = typeof body.system === 'string' ? body.system : body.system.map((b) => b.text).join('\n\n');
    if (system) out.push({ role: 'system', content: system });
  }
  const toolNames = new Map<string, string>();
  for (const m of body.messages) {
    if (typeof m.content === 'string') {
      out.push({ role: m.role, content: m.content });
      continue;
    }
    const parts: ContentPart[] = [];
    const results: ContentPart[] = [];
    for (const b of m.content as Block[]) {
      if (b.type === 'text') parts.push({ type: 'text', text: (b as { text: string }).text });
      else if (b.type === 'image') {
        const source = (b as Extract<Block, { type: 'image' }>).source;
        parts.push(source.type === 'url' ? { type: 'image', url: source.url } : { type: 'image', data: source.data, mediaType: source.media_type });
      } else if (b.type === 'tool_use') {
        const use = b as Extract<Block, { type: 'tool_use' }>;
        toolNames.set(use.id, use.name);
        parts.push({ type: 'tool-call', toolCallId: use.id, toolName: use.name, args: use.input ?? {} });
      } else if (b.type === 'tool_result') {
        const result = b as Extract<Block, { type: 'tool_result' }>;
        const toolName = toolNames.get(result.tool_use_id);
        results.push({
          type: 'tool-result',
          toolCallId: result.tool_use_id,
          ...(toolName ? { toolName } : {}),
          result: toolResultContent(result.content),
          ...(result.is_error ? { isError: true } : {}),
        });
      }
    }
    if (results.length) out.push({ role: 'tool', content: results });
    if (parts.length) out.push({ role: m.role, content: parts });
  }
  return out;
}

/** Translates a validated Anthropic Messages body to Twin's request. */
export function anthropicMessagesRequestToTwin(body: AnthropicMessagesRequest): CompatRequest {
  const extras: CompatExtras = {};
  const choice = body.tool_choice;
  if (choice) {
    extras.toolChoice = choice.type === 'tool' ? { name: choice.name } : choice.type === 'any' ? 'required' : choice.type;
    if ('disable_parallel_tool_use' in choice && choice.disable_parallel_tool_use) extras.parallelToolCalls = false;
  }
  if (body.top_p !== undefined) extras.topP = body.top_p;
  if (body.top_k !== undefined) extras.topK = body.top_k;
  if (body.metadata?.user_id !== undefined) extras.user = body.metadata.user_id;
  return {
    model: body.model,
    stream: body.stream === true,
    includeUsage: true,
    messages: toTwinMessages(body),
    ...(body.tools?.length
      ? { tools: body.tools.map((t) => ({ name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.input_schema })) }
      : {}),
    maxTokens: body.max_tokens,
    ...(body.temperature !== undefined ? { temperature: body.temperature } : {}),
    ...(body.stop_sequences?.length ? { stop: body.stop_sequences } : {}),
    extras,
    ...(body.metadata?.user_id !== undefined ? { metadata: { user: body.metadata.user_id }, user: body.metadata.user_id } : {}),
  };
}
