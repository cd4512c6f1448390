import { and, asc, eq, gte, sql } from 'drizzle-orm';
import { auditRowText } from './audit-segment';
import { CHUNK_COPY_COLUMNS, ChunkCopyBatch } from './chunk-rows-copy';
import { createBatchWriter, createPackedBatchWriter, type BatchWriter, type BatchWriterOptions, type RowBatches } from './batch-writer';
import type { TwinDatabase } from './open-database';
import { createLifecycleRows } from './lifecycle-rows';
import { bulkCopy } from './pglite-worker-drizzle';
import { streamChunks, streamEvents } from './schema';
import type { ChunkRow, EventRow } from './store-rows';

/** The audit log: copies of the SSE events a stream sent, and its lifecycle events. */
export interface AuditLog {
  /** Audit copies of SSE events, written behind. */
  readonly chunks: BatchWriter<ChunkRow>;
  /** Lifecycle audit log, written behind. */
  readonly events: BatchWriter<EventRow>;
  /** Text and reasoning the stream sent, from the audit copy (usage estimation on reconcile). */
  readStreamContent(streamId: string): Promise<{ text: string; bytes: number; lastSeq: number; lastAt: Date | undefined }>;
  /** The input-token estimate stored with the `stream.start` audit event, if it landed. */
  readStartEstimate(streamId: string): Promise<{ inputTokens?: number } | undefined>;
  /** Events and bytes a stream sent since `since` (from the audit copy). */
  chunkWindow(tenantId: string, streamId: string, since: Date): Promise<{ events: number; bytes: number }>;
}

/** Options of {@link createAuditLog}. */
export interface AuditLogOptions {
  /** Batch interval of the lifecycle events. */
  intervalMs: number;
  /** Batch interval of the audit segments. */
  chunkIntervalMs: number;
  onWriteError: ((table: string, error: unknown, rows: number) => void) | undefined;
  /** When a due batch of lifecycle events leaves (the embedded database: behind the next billing opening). */
  defer?: ((go: () => void) => void) | undefined;
  /** The same for the audit segments. */
  chunkDefer?: ((go: () => void) => void) | undefined;
  /** The lifecycle events' queue, when it is shared (see `createLifecycleRows`); else one of its own. */
  events?: BatchWriter<EventRow>;
}

/** Builds the audit log writers and readers. */
export function createAuditLog(db: TwinDatabase, options: AuditLogOptions): AuditLog {
  // One statement with ONE json parameter for the whole batch (json_to_recordset) instead of a
  // VALUES list with eight parameters per row: cheap to parse and plan on both drivers, and the
  // escaping of the audit JSON is JSON.stringify's (native) instead of a regex pass per segment.
  // A retried batch may have landed already (the reply was lost): the primary key makes it a no-op.
  const insertChunks = async (rows: ChunkRow[]): Promise<void> => {
    const batch = JSON.stringify(
      rows.map((r) => ({
        stream_id: r.streamId,
        seq: r.seq,
        last_seq: r.lastSeq ?? r.seq,
        tenant_id: r.tenantId,
        event: r.event,
        data: r.data,
        bytes: r.bytes,
        created_at: (r.createdAt ?? new Date()).toISOString(),
      })),
    );
    await db.execute(sql`insert into ${streamChunks} (stream_id, seq, last_seq, tenant_id, event, data, bytes, created_at)
      select * from json_to_recordset(${batch}::json)
        as t(stream_id text, seq int, last_seq int, tenant_id text, event text, data text, bytes int, created_at timestamptz)
      on conflict do nothing`);
  };
  const copy = bulkCopy(db);
  const chunks = copy
    ? createChunkRowsWriter({
        copy,
        insert: insertChunks,
        intervalMs: options.chunkIntervalMs,
        maxBatch: 1_000,
        defer: options.chunkDefer,
        onError: (e, n) => options.onWriteError?.('stream_chunks', e, n),
      })
    : createBatchWriter<ChunkRow>({
        intervalMs: options.chunkIntervalMs,
        maxBatch: 1_000,
        defer: options.chunkDefer,
        write: insertChunks,
        onError: (e, n) => options.onWriteError?.('stream_chunks', e, n),
      });
  // Shared with the connection rows opened at start when the store gives it (one statement per batch).
  const events = options.events ?? createLifecycleRows(db, { intervalMs: options.intervalMs, defer: options.defer, onWriteError: options.onWriteError }).events;

  return {
    chunks,
    events,

    async readStreamContent(streamId) {
      const rows = await db
        .select({ seq: streamChunks.seq, lastSeq: streamChunks.lastSeq, event: streamChunks.event, data: streamChunks.data, bytes: streamChunks.bytes, createdAt: streamChunks.createdAt })
        .from(streamChunks)
        .where(eq(streamChunks.streamId, streamId))
        .orderBy(asc(streamChunks.seq));
      let text = '';
      let bytes = 0;
      let lastSeq = 0;
      let lastAt: Date | undefined;
      for (const row of rows) {
        bytes += row.bytes;
        lastSeq = row.lastSeq ?? row.seq;
        lastAt = row.createdAt;
        text += auditRowText(row.event, row.data);
      }
      return { text, bytes, lastSeq, lastAt };
    },
    async readStartEstimate(streamId) {
      const rows = await db
        .select({ data: streamEvents.data })
        .from(streamEvents)
        .where(and(eq(streamEvents.streamId, streamId), eq(streamEvents.type, 'stream.start')))
        .limit(1);
      const data = rows[0]?.data as { inputTokens?: unknown } | undefined | null;
      if (!data) return undefined;
      return typeof data.inputTokens === 'number' ? { inputTokens: data.inputTokens } : {};
    },
    async chunkWindow(tenantId, streamId, since) {
      const rows = await db
        .select({ events: sql<number>`count(*)::int`, bytes: sql<number>`coalesce(sum(${streamChunks.bytes}), 0)::int` })
        .from(streamChunks)
        .where(and(eq(streamChunks.streamId, streamId), eq(streamChunks.tenantId, tenantId), gte(streamChunks.createdAt, since)));
      return { events: rows[0]?.events ?? 0, bytes: rows[0]?.bytes ?? 0 };
    },
  };
}

/** Options of {@link createChunkRowsWriter}. */
export interface ChunkRowsWriterOptions extends Pick<BatchWriterOptions<ChunkRow>, 'intervalMs' | 'maxBatch' | 'defer' | 'onError'> {
  /** The embedded database's COPY (see `bulkCopy`): takes the bytes (they move to its worker). */
  copy: (statement: string, data: Uint8Array<ArrayBuffer>) => Promise<void>;
  /** The INSERT a batch goes through when COPY refuses it. */
  insert: (rows: ChunkRow[]) => Promise<void>;
}

/**
 * The audit copy's writer on the embedded database: each row is encoded for COPY as it is pushed,
 * into its batch's one growing buffer, so what waits for the batch (its interval, then its turn in
 * the database worker) is bytes outside the JS heap, not row objects, their JSON and dates, which
 * the collector promoted to the old generation and marked (a third of what the server promoted).
 * COPY is about half the database's CPU per row of the INSERT (no JSON to parse, no conflict check
 * per row). COPY has no ON CONFLICT: a batch it refuses (some of its rows landed already, or
 * anything else) goes through the INSERT, with the rows decoded back, which skips those rows, or
 * reports the real error.
 */
export function createChunkRowsWriter(options: ChunkRowsWriterOptions): BatchWriter<ChunkRow> {
  // A batch's first buffer is sized after the last one's bytes: it grows (copies) rarely.
  let guess = 4_096;
  const batches: RowBatches<ChunkRow, ChunkCopyBatch> = {
    create: () => new ChunkCopyBatch(guess),
    add: (batch, row) => batch.add(row),
    size: (batch) => batch.size,
  };
  return createPackedBatchWriter<ChunkRow, ChunkCopyBatch>({
    intervalMs: options.intervalMs,
    maxBatch: options.maxBatch,
    defer: options.defer,
    onError: options.onError,
    batches,
    write: async (batch) => {
      const bytes = batch.bytes();
      guess = Math.min(Math.max(4_096, bytes.length + (bytes.length >> 3)), 4 << 20);
      try {
        // A copy moves to the worker (its buffer is transferred): the batch keeps its own for a retry.
        await options.copy(COPY_CHUNKS, bytes.slice());
      } catch {
        await options.insert(batch.rows());
      }
    },
  });
}

// Only on the embedded database, which takes no schema option: the table is in its default schema.
const COPY_CHUNKS = `copy stream_chunks ${CHUNK_COPY_COLUMNS} from '/dev/blob' with (format binary)`;
