import { z } from 'zod';

export const streamStatusSchema = z.enum(['open', 'streaming', 'completed', 'error', 'aborted', 'interrupted']);
/** `interrupted`: the server stopped mid-stream (crash, shutdown) and the stream was reconciled later. */
export type StreamStatus = z.infer<typeof streamStatusSchema>;

/** One stream as the server tracks and stores it. */
export const streamConnectionSchema = z.object({
  id: z.string(),
  tenantId: z.string(),
  apiKeyId: z.string().optional(),
  provider: z.string(),
  model: z.string(),
  purpose: z.string().optional(),
  status: streamStatusSchema,
  createdAt: z.date(),
  firstByteAt: z.date().optional(),
  endedAt: z.date().optional(),
  /** Highest sequence number written. */
  lastSeq: z.number().int().nonnegative(),
  metadata: z.record(z.string(), z.string()).optional(),
});
export type StreamConnection = z.infer<typeof streamConnectionSchema>;

/** One stored event of a stream (the audit copy of what went over the wire). */
export const streamChunkSchema = z.object({
  streamId: z.string(),
  seq: z.number().int().nonnegative(),
  event: z.string(),
  /** The event's `data` JSON as sent. */
  data: z.string(),
  bytes: z.number().int().nonnegative(),
  createdAt: z.date(),
});
export type StreamChunk = z.infer<typeof streamChunkSchema>;
