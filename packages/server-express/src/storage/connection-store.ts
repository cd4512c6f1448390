import { and, eq } from 'drizzle-orm';
import type { BatchWriter } from './batch-writer';
import { createLifecycleRows } from './lifecycle-rows';
import type { TwinDatabase } from './open-database';
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

/** Builds the {@link ConnectionStore}. */
export function createConnectionStore(
  db: TwinDatabase,
  intervalMs: number,
  onWriteError: ((table: string, error: unknown, rows: number) => void) | undefined,
  defer?: (go: () => void) => void,
  /** The queue of opened connection rows, when it is shared (see `createLifecycleRows`). */
  opened?: BatchWriter<ConnectionRow>,
): ConnectionStore {
  // Shared with the lifecycle events when the store gives it (one statement per batch).
  const connectionsOpened = opened ?? createLifecycleRows(db, { intervalMs, defer, onWriteError }).connections;

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
