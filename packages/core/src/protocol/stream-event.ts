import { z } from 'zod';
import { finishReasonSchema, usageSchema } from './usage';

/**
 * The wire protocol, server → client (docs/design.md "Wire protocol").
 *
 * Every SSE event has `id: <streamId>:<seq>` (protocol 2; see `formatEventId`) and JSON `data` with
 * `v` (protocol version) and `seq`. Sequence numbers start at 0 (`start`) and grow by one per event
 * of the stream, so a client reconnecting with `Last-Event-ID: <streamId>:n` (or `n` with the stream
 * id in the query) receives exactly the events with `seq > n`. Heartbeats are
 * SSE comment lines and carry no sequence number. Clients ignore unknown fields and event types.
 */
export const STREAM_EVENT_TYPES = ['start', 'chunk', 'resync', 'error', 'complete'] as const;
export type StreamEventType = (typeof STREAM_EVENT_TYPES)[number];

/** Names of payload codecs (frame compression). `identity` means no compression. */
export const codecNameSchema = z.enum(['identity', 'gzip', 'deflate']);
export type CodecName = z.infer<typeof codecNameSchema>;

/** Names of frame ciphers (AEAD). */
export const cipherAlgSchema = z.enum(['aes-256-gcm', 'xchacha20-poly1305']);
export type CipherAlg = z.infer<typeof cipherAlgSchema>;

const seq = z.number().int().nonnegative();
const version = z.number().int().positive();

/** A tool call as it travels inside a chunk: start (with name), argument deltas, then done (with parsed args). */
export const toolCallChunkSchema = z.object({
  id: z.string(),
  index: z.number().int().nonnegative(),
  /** Present on the first chunk of a call. */
  name: z.string().optional(),
  /** A piece of the arguments JSON text. */
  argsDelta: z.string().optional(),
  /** Present once the call is complete: the parsed arguments. */
  args: z.unknown().optional(),
  done: z.boolean().optional(),
});
export type ToolCallChunk = z.infer<typeof toolCallChunkSchema>;

/**
 * The content one chunk carries: coalesced text and reasoning deltas and tool-call pieces. A frame
 * holds one kind of content at a time when kinds interleave, so order is never lost.
 */
export const chunkContentSchema = z.object({
  text: z.string().optional(),
  reasoning: z.string().optional(),
  tools: z.array(toolCallChunkSchema).optional(),
});
export type ChunkContent = z.infer<typeof chunkContentSchema>;

/** The full state of a stream so far: what a `resync` event carries. */
export const streamStateSchema = z.object({
  text: z.string(),
  reasoning: z.string().optional(),
  tools: z
    .array(z.object({ id: z.string(), index: z.number().int(), name: z.string(), argsText: z.string(), args: z.unknown().optional(), done: z.boolean().optional() }))
    .optional(),
});
export type StreamState = z.infer<typeof streamStateSchema>;

/**
 * Metadata of an encoded and/or encrypted payload, in clear so the receiver knows what to undo:
 * base64-decode `data`, open it with key `kid` if `alg` is set (associated data binds stream id,
 * event type and seq), then decompress with `codec` (compression happens before encryption).
 * Compression contexts live per SSE connection: a receiver resets its decompressor on reconnect.
 */
export const sealedFieldsSchema = z.object({
  codec: codecNameSchema,
  alg: cipherAlgSchema.optional(),
  kid: z.string().optional(),
  /** base64 of the (compressed, then sealed) JSON of the content. */
  data: z.string(),
});
export type SealedFields = z.infer<typeof sealedFieldsSchema>;

export const startEventDataSchema = z.object({
  v: version,
  seq,
  streamId: z.string(),
  provider: z.string(),
  model: z.string(),
  /** ISO-8601 time the stream started. */
  createdAt: z.string(),
  /** Payload codec used for chunks on this connection, when not identity. */
  codec: codecNameSchema.optional(),
  /** Cipher and key id, when chunks are encrypted. */
  alg: cipherAlgSchema.optional(),
  kid: z.string().optional(),
  /**
   * True when the answer comes from the offline simulated provider (no real model): UIs should say
   * so. Absent for real providers.
   */
  simulated: z.boolean().optional(),
});
export type StartEventData = z.infer<typeof startEventDataSchema>;

export const plainChunkEventDataSchema = chunkContentSchema.extend({ v: version, seq });
export const sealedChunkEventDataSchema = sealedFieldsSchema.extend({ v: version, seq });
/** A chunk is plain (content fields in clear) or sealed (`codec` + `data`); `codec` tells them apart. */
export const chunkEventDataSchema = z.union([sealedChunkEventDataSchema, plainChunkEventDataSchema]);
export type PlainChunkEventData = z.infer<typeof plainChunkEventDataSchema>;
export type SealedChunkEventData = z.infer<typeof sealedChunkEventDataSchema>;
export type ChunkEventData = PlainChunkEventData | SealedChunkEventData;

/**
 * Sent instead of the missed events when a client asks to resume from a position that has left the
 * replay window: the full state so far, then the stream goes on from `seq + 1`.
 */
export const resyncEventDataSchema = z.union([
  sealedFieldsSchema.extend({ v: version, seq, reason: z.string() }),
  streamStateSchema.extend({ v: version, seq, reason: z.string() }),
]);
export type ResyncEventData = z.infer<typeof resyncEventDataSchema>;

/**
 * On an encrypted connection, the terminal event (`complete` / `error`) carries `seal`: its own
 * fields (all but `v`, `seq` and `seal`), sealed as the next frame of the connection's chain (the
 * associated data binds stream id, event type, seq and the previous sealed frame's seq). The clear
 * fields are for consumers without the key; a client with the key uses the opened ones, so a
 * dropped, truncated or renumbered tail, or an altered ending, fails to open.
 */
const terminalSeal = sealedFieldsSchema.optional();

/** What a stream cost, as the client sees it: exact decimal strings, never floats. */
export const costReceiptSchema = z.object({
  currency: z.string(),
  total: z.string(),
  /** Itemised lines as exact decimal strings (tokens, discount, streaming, premium, infrastructure, penalty, tax...). */
  lines: z.record(z.string(), z.string()).optional(),
  estimated: z.boolean(),
  /** The model has no price: the token cost is unknown and not in `total` (the operator allows unpriced models). */
  unpriced: z.boolean().optional(),
  /** Billing record id, to look the bill up later. */
  recordId: z.string().optional(),
  /**
   * The token counts this receipt billed (the provider's, or estimated when `estimated`): what a
   * client shows for a stream that ended without a `complete` event (a stopped one).
   */
  usage: usageSchema.omit({ raw: true }).optional(),
  /** True when the stream was served by the offline simulated provider (no real model was called). */
  simulated: z.boolean().optional(),
});
export type CostReceipt = z.infer<typeof costReceiptSchema>;

export const errorEventDataSchema = z.object({
  v: version,
  seq,
  code: z.string(),
  message: z.string(),
  retryable: z.boolean(),
  provider: z.string().optional(),
  retryAfterMs: z.number().nonnegative().optional(),
  /** The provider's HTTP status and its own error type and code, untranslated (when known). */
  providerStatus: z.number().int().optional(),
  providerErrorType: z.string().optional(),
  providerErrorCode: z.string().optional(),
  /** Usage up to the failure, when known. */
  usage: usageSchema.omit({ raw: true }).optional(),
  /**
   * What the stream was billed, when its bill was already made as it failed: a cluster instance that
   * died mid-stream is billed by a survivor, which ends the stream's log with this receipt.
   */
  cost: costReceiptSchema.optional(),
  seal: terminalSeal,
});
export type ErrorEventData = z.infer<typeof errorEventDataSchema>;


export const completeEventDataSchema = z.object({
  v: version,
  seq,
  finishReason: finishReasonSchema,
  rawFinishReason: z.string().optional(),
  /** Provider and model that actually served the stream (after any fallback). */
  provider: z.string().optional(),
  model: z.string().optional(),
  usage: usageSchema.omit({ raw: true }).optional(),
  cost: costReceiptSchema.optional(),
  metrics: z
    .object({
      ttftMs: z.number().nonnegative().optional(),
      durationMs: z.number().nonnegative(),
      bytes: z.number().int().nonnegative(),
      events: z.number().int().nonnegative(),
    })
    .optional(),
  seal: terminalSeal,
});
export type CompleteEventData = z.infer<typeof completeEventDataSchema>;

/** One event of a Twin stream. Heartbeats are written as SSE comments and have no data. */
export type StreamEvent =
  | { type: 'start'; data: StartEventData }
  | { type: 'chunk'; data: ChunkEventData }
  | { type: 'resync'; data: ResyncEventData }
  | { type: 'error'; data: ErrorEventData }
  | { type: 'complete'; data: CompleteEventData }
  | { type: 'heartbeat' };

/** Validates the `data` of a received event by its type (use on the boundary, not on the hot path). */
export const streamEventDataSchemas = {
  start: startEventDataSchema,
  chunk: chunkEventDataSchema,
  resync: resyncEventDataSchema,
  error: errorEventDataSchema,
  complete: completeEventDataSchema,
} as const;
