import { z } from 'zod';
import { TwinError } from '../errors/twin-error';
import type { ContentPart, Message } from '../protocol/message';
import { endUserIdSchema } from '../protocol/names';
import { safeParseJSON } from '../util/safe-parse-json';
import type { CompatExtras, CompatRequest, CompatResponseFormat, CompatToolChoice } from './compat-request';

const textPart = z.object({ type: z.literal('text'), text: z.string() });
const imagePart = z.object({ type: z.literal('image_url'), image_url: z.object({ url: z.string(), detail: z.string().optional() }) });
const refusalPart = z.object({ type: z.literal('refusal'), refusal: z.string() });
const userContent = z.union([z.string(), z.array(z.discriminatedUnion('type', [textPart, imagePart]))]);
const textContent = z.union([z.string(), z.array(textPart)]);

const toolCall = z.object({
  id: z.string(),
  type: z.literal('function').optional(),
  function: z.object({ name: z.string(), arguments: z.string() }),
});

const chatMessage = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content: textContent, name: z.string().optional() }),
  z.object({ role: z.literal('developer'), content: textContent, name: z.string().optional() }),
  z.object({ role: z.literal('user'), content: userContent, name: z.string().optional() }),
  z.object({
    role: z.literal('assistant'),
    content: z.union([z.string(), z.array(z.discriminatedUnion('type', [textPart, refusalPart]))]).nullish(),
    tool_calls: z.array(toolCall).optional(),
    refusal: z.string().nullish(),
    name: z.string().optional(),
  }),
  z.object({ role: z.literal('tool'), content: textContent, tool_call_id: z.string() }),
]);

const jsonSchema = z.record(z.string(), z.unknown());

/**
 * The body of OpenAI's `POST /v1/chat/completions`, as far as Twin serves it. Unknown fields are
 * ignored (as OpenAI-compatible gateways do); fields Twin cannot honour (`n > 1`, audio output,
 * logprobs) are refused with a 400 naming them rather than silently answered differently.
 */
export const openAIChatRequestSchema = z.object({
  model: z.string().min(1).max(256),
  messages: z.array(chatMessage).min(1).max(1_000),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
  tools: z
    .array(
      z.object({
        type: z.literal('function'),
        function: z.object({ name: z.string().min(1).max(128), description: z.string().optional(), parameters: jsonSchema.optional(), strict: z.boolean().nullish() }),
      }),
    )
    .max(128)
    .optional(),
  tool_choice: z
    .union([z.enum(['auto', 'none', 'required']), z.object({ type: z.literal('function'), function: z.object({ name: z.string() }) })])
    .optional(),
  parallel_tool_calls: z.boolean().optional(),
  max_tokens: z.number().int().positive().max(1_000_000).nullish(),
  max_completion_tokens: z.number().int().positive().max(1_000_000).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  seed: z.number().int().nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(16)]).nullish(),
  response_format: z
    .discriminatedUnion('type', [
      z.object({ type: z.literal('text') }),
      z.object({ type: z.literal('json_object') }),
      z.object({
        type: z.literal('json_schema'),
        json_schema: z.object({ name: z.string().min(1).max(64), schema: jsonSchema.optional(), strict: z.boolean().nullish(), description: z.string().optional() }),
      }),
    ])
    .optional(),
  n: z.literal(1).nullish(),
  logprobs: z.literal(false).nullish(),
  /** The end user: Twin's `user` (declared characters, at most 128; see `endUserIdSchema`). */
  user: endUserIdSchema.optional(),
  metadata: z.record(z.string(), z.string().max(1_024)).nullish(),
});
export type OpenAIChatRequest = z.infer<typeof openAIChatRequestSchema>;

/** Text of a string-or-text-parts content. */
function joinText(content: string | Array<{ text: string }>): string {
  return typeof content === 'string' ? content : content.map((p) => p.text).join('');
}

/** Tool results are text on OpenAI's wire; JSON text is handed on parsed, so upstreams that want objects get one. */
function toolResult(text: string): unknown {
  const parsed = safeParseJSON(text);
  return parsed.success && typeof parsed.value === 'object' && parsed.value !== null ? parsed.value : text;
}

/** OpenAI chat messages in Twin's form; a tool result gets the name of the call it answers. */
function toTwinMessages(messages: OpenAIChatRequest['messages']): Message[] {
  const toolNames = new Map<string, string>();
  const out: Message[] = [];
  messages.forEach((m, i) => {
    switch (m.role) {
      case 'system':
      case 'developer':
        out.push({ role: 'system', content: joinText(m.content) });
        break;
      case 'user':
        if (typeof m.content === 'string') out.push({ role: 'user', content: m.content });
        else {
          out.push({
            role: 'user',
            content: m.content.map((p): ContentPart => (p.type === 'text' ? { type: 'text', text: p.text } : { type: 'image', url: p.image_url.url })),
          });
        }
        break;
      case 'assistant': {
        const text = m.content == null ? '' : typeof m.content === 'string' ? m.content : m.content.map((p) => (p.type === 'text' ? p.text : p.refusal)).join('');
        if (!m.tool_calls?.length) {
          out.push({ role: 'assistant', content: text });
          break;
        }
        const parts: ContentPart[] = text ? [{ type: 'text', text }] : [];
        m.tool_calls.forEach((call, j) => {
          const args = safeParseJSON(call.function.arguments === '' ? '{}' : call.function.arguments);
          if (!args.success) {
            throw new TwinError('invalid_request', `messages.${i}.tool_calls.${j}.function.arguments is not valid JSON.`, {
              details: { field: `messages.${i}.tool_calls.${j}.function.arguments` },
            });
          }
          toolNames.set(call.id, call.function.name);
          parts.push({ type: 'tool-call', toolCallId: call.id, toolName: call.function.name, args: args.value });
        });
        out.push({ role: 'assistant', content: parts });
        break;
      }
      case 'tool': {
        const toolName = toolNames.get(m.tool_call_id);
        out.push({
          role: 'tool',
          content: [{ type: 'tool-result', toolCallId: m.tool_call_id, ...(toolName ? { toolName } : {}), result: toolResult(joinText(m.content)) }],
        });
        break;
      }
    }
  });
  return out;
}

function toolChoiceOf(choice: OpenAIChatRequest['tool_choice']): CompatToolChoice | undefined {
  if (choice === undefined) return undefined;
  return typeof choice === 'string' ? choice : { name: choice.function.name };
}

function responseFormatOf(format: OpenAIChatRequest['response_format']): CompatResponseFormat | undefined {
  if (format === undefined) return undefined;
  if (format.type !== 'json_schema') return format;
  const { name, schema, strict } = format.json_schema;
  return { type: 'json_schema', name, ...(schema ? { schema } : {}), ...(strict != null ? { strict } : {}) };
}

/**
 * Translates a validated Chat Completions body to Twin's request. `max_completion_tokens` wins over
 * the older `max_tokens`; `developer` messages are system messages; a `stop` string is a list of one.
 */
export function openAIChatRequestToTwin(body: OpenAIChatRequest): CompatRequest {
  const extras: CompatExtras = {};
  const toolChoice = toolChoiceOf(body.tool_choice);
  if (toolChoice !== undefined) extras.toolChoice = toolChoice;
  if (body.parallel_tool_calls !== undefined) extras.parallelToolCalls = body.parallel_tool_calls;
  if (body.top_p != null) extras.topP = body.top_p;
  if (body.seed != null) extras.seed = body.seed;
  const responseFormat = responseFormatOf(body.response_format);
  if (responseFormat !== undefined) extras.responseFormat = responseFormat;
  if (body.user !== undefined) extras.user = body.user;
  const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? undefined;
  const stop = body.stop == null ? undefined : typeof body.stop === 'string' ? [body.stop] : body.stop;
  const metadata = { ...(body.metadata ?? {}), ...(body.user !== undefined ? { user: body.user } : {}) };
  return {
    model: body.model,
    stream: body.stream === true,
    includeUsage: body.stream_options?.include_usage === true,
    messages: toTwinMessages(body.messages),
    ...(body.tools?.length
      ? {
          tools: body.tools.map((t) => ({
            name: t.function.name,
            ...(t.function.description ? { description: t.function.description } : {}),
            parameters: t.function.parameters ?? { type: 'object', properties: {} },
          })),
        }
      : {}),
    ...(maxTokens !== undefined ? { maxTokens } : {}),
    ...(body.temperature != null ? { temperature: body.temperature } : {}),
    ...(stop?.length ? { stop } : {}),
    extras,
    ...(Object.keys(metadata).length ? { metadata } : {}),
    ...(body.user !== undefined ? { user: body.user } : {}),
  };
}
