import { z } from 'zod';
import { codecNameSchema } from './stream-event';

/**
 * How streams behave. Every field has a default, so `streamConfigSchema.parse({})` is a complete,
 * production-ready config; pass only what you change.
 */
export const streamConfigSchema = z.object({
  /** Concurrent streams one server accepts before answering 503. */
  maxConnections: z.number().int().positive().default(10_000),
  /** Concurrent streams one API key may hold before answering 429. */
  maxConnectionsPerKey: z.number().int().positive().default(100),
  /** Interval of SSE comment heartbeats that keep proxies from closing an idle connection. */
  heartbeatIntervalMs: z.number().int().positive().default(15_000),
  /** The `retry:` hint sent to EventSource-style clients (reconnect delay). */
  retryMs: z.number().int().min(1).default(1_000),
  flush: z
    .object({
      /** Flush when this many bytes of content are pending. */
      maxBytes: z.number().int().positive().default(4_096),
      /** Flush when this many parts are pending. */
      maxParts: z.number().int().positive().default(64),
      /** Latency budget: no content waits longer than this before it is flushed. */
      maxAgeMs: z.number().int().nonnegative().default(15),
      /** Latency budget while the writer reports backpressure (coalesce more, write less often). */
      backpressureMaxAgeMs: z.number().int().nonnegative().default(250),
    })
    .default({ maxBytes: 4_096, maxParts: 64, maxAgeMs: 15, backpressureMaxAgeMs: 250 }),
  buffer: z
    .object({
      /** Content waiting to be written, per stream, before the overflow policy applies. */
      maxPendingBytes: z.number().int().positive().default(1_048_576),
      /**
       * What happens past `maxPendingBytes`: `error` closes the stream with a `buffer_overflow` error
       * event (nothing is silently dropped); `coalesce` keeps merging into fewer, larger frames first
       * and errors only at twice the limit.
       */
      overflow: z.enum(['error', 'coalesce']).default('coalesce'),
      /** Recent events kept for `Last-Event-ID` resume. */
      replayWindowEvents: z.number().int().nonnegative().default(1_024),
      replayWindowBytes: z.number().int().nonnegative().default(1_048_576),
    })
    .default({ maxPendingBytes: 1_048_576, overflow: 'coalesce', replayWindowEvents: 1_024, replayWindowBytes: 1_048_576 }),
  timeouts: z
    .object({
      /** Time to first token before the provider counts as failed (and a fallback may take over). */
      firstTokenMs: z.number().int().positive().default(30_000),
      /** Longest silence from the provider mid-stream before it counts as stalled. */
      idleMs: z.number().int().positive().default(60_000),
      /** Longest a stream may run. */
      maxDurationMs: z.number().int().positive().default(600_000),
      /** How long a finished stream stays resumable. */
      resumeGraceMs: z.number().int().nonnegative().default(60_000),
    })
    .default({ firstTokenMs: 30_000, idleMs: 60_000, maxDurationMs: 600_000, resumeGraceMs: 60_000 }),
  /** Payload codec for chunks; `auto` compresses only when it pays. */
  codec: z.union([codecNameSchema, z.literal('auto')]).default('identity'),
});
export type StreamConfig = z.infer<typeof streamConfigSchema>;
export type StreamConfigInput = z.input<typeof streamConfigSchema>;

/** The defaults, fully resolved. */
export const DEFAULT_STREAM_CONFIG: StreamConfig = streamConfigSchema.parse({});
