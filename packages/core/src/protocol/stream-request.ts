import { z } from 'zod';
import { messageSchema, toolDefinitionSchema } from './message';
import { endUserIdSchema, metadataKeySchema, metadataValueSchema, nameSchema } from './names';
import { cipherAlgSchema, codecNameSchema, type ToolCallChunk } from './stream-event';
import type { FinishReason, Usage } from './usage';
import type { CostReceipt } from './stream-event';

/**
 * What a client asks the server to stream (the body of `POST /api/stream`). The fields from `model`
 * to `providerOptions` form the provider-neutral request every adapter takes.
 */
export const streamRequestSchema = z.object({
  /** Provider name (`openai`, `anthropic`, `google`, `ollama`, `simulated`, ...). Server default when omitted. */
  provider: nameSchema(64).optional(),
  model: nameSchema(256).optional(),
  messages: z.array(messageSchema).min(1).max(1_000),
  tools: z.array(toolDefinitionSchema).max(128).optional(),
  maxTokens: z.number().int().positive().max(1_000_000).optional(),
  temperature: z.number().min(0).max(2).optional(),
  stop: z.array(z.string()).max(16).optional(),
  /** Passed to the provider untouched (escape hatch for provider-specific features). */
  providerOptions: z.record(z.string(), z.unknown()).optional(),
  options: z
    .object({
      codec: z.union([codecNameSchema, z.literal('auto')]).optional(),
      encryption: z.object({ alg: cipherAlgSchema, keyId: z.string().min(1).max(128).optional() }).optional(),
      /** Free-form label billing reports group by (e.g. `chat`, `summarise`). */
      purpose: nameSchema(64).optional(),
    })
    .optional(),
  /**
   * The end user the stream is for (an id the caller chose, see {@link endUserIdSchema}): stored on
   * the billing record as `userId`, grouped by in reports (`groupBy=user`) and checked against that
   * user's budgets. Never a secret.
   */
  user: endUserIdSchema.optional(),
  /** Caller metadata stored with the stream (never interpreted). */
  metadata: z.record(metadataKeySchema, metadataValueSchema).optional(),
});
export type StreamRequest = z.infer<typeof streamRequestSchema>;

/** The final, aggregated result of a stream (what a client holds when it is done). */
export interface StreamResponse {
  streamId: string;
  provider: string;
  model: string;
  text: string;
  reasoning?: string;
  toolCalls: Array<Required<Pick<ToolCallChunk, 'id' | 'index' | 'name'>> & { argsText: string; args?: unknown }>;
  usage?: Usage;
  finishReason: FinishReason;
  cost?: CostReceipt;
}
