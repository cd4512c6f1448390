import { and, eq, sql } from 'drizzle-orm';
import { createBatchWriter, type BatchWriter } from './batch-writer';
import type { TwinDatabase } from './open-database';
import { fixedStatement } from './fixed-statement';
import { isoOrNull, jsonOrNull, pgArray } from './pg-array';
import { streamConnections, streamMetrics } from './schema';
import type { ConnectionRow } from './store-rows';

/**
 * Per-stream state beside the bill: the connection row (opened at start; the end writes it, the
 * metrics and the buffer snapshot with the final bill, see `writeEndings`).
 */
export interface ConnectionStore {
  /** stream_connections rows written at start (the final upsert at the end wins). */
  readonly connectionsOpened: BatchWriter<ConnectionRow>;
  getConnection(tenantId: string, streamId: string): Promise<typeof streamConnections.$inferSelect | undefined>;
  markConnectionInterrupted(streamId: string, endedAt: Date): Promise<void>;
  getMetrics(tenantId: string, streamId: string): Promise<typeof streamMetrics.$inferSelect | undefined>;
}

/** A batch of opened connections, one array parameter per column. */
const INSERT_CONNECTIONS = fixedStatement(
  10,
  (ids, tenantIds, apiKeyIds, providers, models, purposes, statuses, createdAts, lastSeqs, metadata) => sql`insert into ${streamConnections}
      (id, tenant_id, api_key_id, provider, model, purpose, status, created_at, last_seq, metadata)
    select * from unnest(
      ${ids}::text[], ${tenantIds}::text[], ${apiKeyIds}::text[], ${providers}::text[], ${models}::text[], ${purposes}::text[],
      ${statuses}::text[], ${createdAts}::timestamptz[], ${lastSeqs}::int[], ${metadata}::jsonb[])
    on conflict do nothing`,
);

/** Builds the {@link ConnectionStore}. */
export function createConnectionStore(
  db: TwinDatabase,
  intervalMs: number,
  onWriteError: ((table: string, error: unknown, rows: number) => void) | undefined,
  defer?: (go: () => void) => void,
): ConnectionStore {
  const connectionsOpened = createBatchWriter<ConnectionRow>({
    intervalMs,
    maxBatch: 500,
    defer,
    write: async (rows) => {
      await db.execute(
        INSERT_CONNECTIONS(
          pgArray(rows.map((r) => r.id)),
          pgArray(rows.map((r) => r.tenantId)),
          pgArray(rows.map((r) => r.apiKeyId)),
          pgArray(rows.map((r) => r.provider)),
          pgArray(rows.map((r) => r.model)),
          pgArray(rows.map((r) => r.purpose)),
          pgArray(rows.map((r) => r.status)),
          pgArray(rows.map((r) => isoOrNull(r.createdAt))),
          pgArray(rows.map((r) => r.lastSeq ?? 0)),
          pgArray(rows.map((r) => jsonOrNull(r.metadata))),
        ),
      );
    },
    onError: (e, n) => onWriteError?.('stream_connections', e, n),
  });

  return {
    connectionsOpened,

    async getConnection(tenantId, streamId) {
      const rows = await db
        .select()
        .from(streamConnections)
        .where(and(eq(streamConnections.id, streamId), eq(streamConnections.tenantId, tenantId)))
        .limit(1);
      return rows[0];
    },
    async markConnectionInterrupted(streamId, endedAt) {
      await db
        .update(streamConnections)
        .set({ status: 'interrupted', endReason: 'interrupted', endedAt })
        .where(eq(streamConnections.id, streamId));
    },
    async getMetrics(tenantId, streamId) {
      const rows = await db
        .select()
        .from(streamMetrics)
        .where(and(eq(streamMetrics.streamId, streamId), eq(streamMetrics.tenantId, tenantId)))
        .limit(1);
      return rows[0];
    },
  };
}
