import { z } from 'zod';

/** A snapshot of one stream buffer, for metrics and debugging. */
export const streamBufferStateSchema = z.object({
  /** Sequence number of the last event emitted. */
  lastSeq: z.number().int().nonnegative(),
  pendingParts: z.number().int().nonnegative(),
  pendingBytes: z.number().int().nonnegative(),
  /** Oldest sequence number still in the replay window (resume from `windowStartSeq - 1` works). */
  windowStartSeq: z.number().int().nonnegative(),
  windowEvents: z.number().int().nonnegative(),
  windowBytes: z.number().int().nonnegative(),
  backpressure: z.boolean(),
  /** Set once the overflow policy fired. */
  overflowed: z.boolean(),
  closed: z.boolean(),
});
export type StreamBufferState = z.infer<typeof streamBufferStateSchema>;
