import { z } from 'zod';

/** Text content of a message. */
export const textContentSchema = z.object({ type: z.literal('text'), text: z.string() });
/** An image: an `https:` / `data:` URL, or base64 bytes with their media type. */
export const imageContentSchema = z.object({
  type: z.literal('image'),
  url: z.string().optional(),
  data: z.string().optional(),
  mediaType: z.string().optional(),
});
/** A tool call the assistant made earlier in the conversation. */
export const toolCallContentSchema = z.object({
  type: z.literal('tool-call'),
  toolCallId: z.string(),
  toolName: z.string(),
  args: z.unknown(),
});
/** The result of a tool call, sent back to the model. */
export const toolResultContentSchema = z.object({
  type: z.literal('tool-result'),
  toolCallId: z.string(),
  toolName: z.string().optional(),
  result: z.unknown(),
  isError: z.boolean().optional(),
});
export const contentPartSchema = z.discriminatedUnion('type', [
  textContentSchema,
  imageContentSchema,
  toolCallContentSchema,
  toolResultContentSchema,
]);
export type ContentPart = z.infer<typeof contentPartSchema>;

export const messageSchema = z.object({
  role: z.enum(['system', 'user', 'assistant', 'tool']),
  content: z.union([z.string(), z.array(contentPartSchema)]),
});
export type Message = z.infer<typeof messageSchema>;

/** A tool the model may call; `parameters` is a JSON Schema object. */
export const toolDefinitionSchema = z.object({
  name: z.string().min(1).max(128),
  description: z.string().optional(),
  parameters: z.record(z.string(), z.unknown()).default({ type: 'object', properties: {} }),
});
export type ToolDefinition = z.infer<typeof toolDefinitionSchema>;
