import { z } from 'zod';

/** Live and final measurements of one stream. Times are milliseconds since the epoch. */
export const streamMetricsSchema = z.object({
  streamId: z.string(),
  startedAt: z.number(),
  firstTokenAt: z.number().optional(),
  endedAt: z.number().optional(),
  /** Time to first token, in ms. */
  ttftMs: z.number().nonnegative().optional(),
  durationMs: z.number().nonnegative(),
  bytesSent: z.number().int().nonnegative(),
  eventsSent: z.number().int().nonnegative(),
  contentParts: z.number().int().nonnegative(),
  textChars: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative().optional(),
  tokensPerSecond: z.number().nonnegative().optional(),
  reconnects: z.number().int().nonnegative(),
  backpressureEvents: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
});
export type StreamMetrics = z.infer<typeof streamMetricsSchema>;
