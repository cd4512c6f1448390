import { createApiKeyStore, type ApiKeyStore } from './api-key-store';
import { createAuditLog, type AuditLog } from './audit-log';
import { createBillingConfigStore, type BillingConfigStore } from './billing-config-store';
import { createBillingRecordStore, type BillingRecordStore } from './billing-records';
import { createBehindOpenings } from './behind-openings';
import { createBudgetStore, type BudgetStore } from './budget-store';
import { createConnectionStore, type ConnectionStore } from './connection-store';
import { createLifecycleRows } from './lifecycle-rows';
import type { TwinDatabase } from './open-database';
import { openOpeningsJournal, openingsJournalPath } from './openings-journal';
import { urgentLane } from './pglite-worker-drizzle';
import { listUsageSnapshots, snapshotUsageReports, type UsageSnapshot } from './usage-snapshots';

// The record types callers name with the store.
export type { BillingRecordQuery, BudgetRow, StreamEnding } from './store-rows';

/**
 * Everything the server stores, over Drizzle. Awaited calls are for the cold path (auth lookups,
 * start/end of a stream, reports); the hot path goes through the batch writers (`chunks`, `events`).
 * Each concern lives in its own store; this one composes them over one database.
 */
export interface TwinStore extends ApiKeyStore, AuditLog, BillingRecordStore, ConnectionStore, BillingConfigStore, BudgetStore {
  readonly db: TwinDatabase;
  /** Rows an instance opens carry its id (see {@link TwinStoreOptions.instanceId}). */
  readonly instanceId: string;
  /** Writes the month-to-date usage report of every tenant billed this month (see {@link snapshotUsageReports}). */
  snapshotUsageReports(now: Date): Promise<number>;
  /** A tenant's stored usage snapshots, newest first. */
  listUsageSnapshots(tenantId: string, limit?: number): Promise<UsageSnapshot[]>;
  /** Writes everything queued behind. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface TwinStoreOptions {
  /**
   * This server instance's id (default `default`). Several instances sharing one database must use
   * distinct, stable ids: a restart only reconciles the open records of its own id.
   */
  instanceId?: string;
  /** Batch write interval for events and connection rows (default 50 ms). */
  batchIntervalMs?: number;
  /**
   * Batch write interval of the audit segments (default `batchIntervalMs` when given, else 250 ms).
   * Every running stream writes one segment a second; on an embedded database each batch is a
   * commit on the event loop, so fewer, larger batches (1,000 rows) cost far less per row.
   */
  chunkBatchIntervalMs?: number;
  onWriteError?: (table: string, error: unknown, rows: number) => void;
}

/**
 * The longest a due batch waits on the embedded database for a billing opening to go behind: it
 * widens what a crash loses of the audit copy by as much at most.
 */
const MAX_DEFER_MS = 50;

/** Builds the {@link TwinStore} on an opened database. */
export function createTwinStore(db: TwinDatabase, options: TwinStoreOptions = {}): TwinStore {
  const intervalMs = options.batchIntervalMs ?? 50;
  const instanceId = options.instanceId ?? 'default';
  // The embedded database runs one statement at a time (it has an urgent lane; a Postgres server's
  // pool has none and needs none): there, the batches nobody waits on leave right behind a billing
  // opening, waiting at most a little longer than their interval when no stream starts.
  const behind = urgentLane(db) !== db ? createBehindOpenings() : undefined;
  const deferUpTo = (maxWaitMs: number) => (behind ? (go: () => void) => behind.defer(go, Math.min(maxWaitMs, MAX_DEFER_MS)) : undefined);
  const chunkIntervalMs = options.chunkBatchIntervalMs ?? options.batchIntervalMs ?? 250;
  // Connection rows and lifecycle events: one queue, one statement per batch (see createLifecycleRows).
  const lifecycle = createLifecycleRows(db, { intervalMs, defer: deferUpTo(intervalMs), onWriteError: options.onWriteError });
  const audit = createAuditLog(db, {
    events: lifecycle.events,
    intervalMs,
    chunkIntervalMs,
    onWriteError: options.onWriteError,
    defer: deferUpTo(intervalMs),
    chunkDefer: deferUpTo(chunkIntervalMs),
  });
  const journalPath = openingsJournalPath(db);
  const journal = journalPath ? openOpeningsJournal(journalPath, (error) => options.onWriteError?.('openings journal', error, 1)) : undefined;
  const { flushEndings, ...billing } = createBillingRecordStore(db, instanceId, options.onWriteError, behind, journal);
  const connections = createConnectionStore(db, intervalMs, options.onWriteError, deferUpTo(intervalMs), lifecycle.connections);
  const writers = [billing.openings, audit.chunks, audit.events, connections.connectionsOpened];

  return {
    db,
    instanceId,
    ...createApiKeyStore(db),
    ...audit,
    ...billing,
    ...connections,
    ...createBillingConfigStore(db),
    ...createBudgetStore(db),
    snapshotUsageReports: (now) => snapshotUsageReports(db, now),
    listUsageSnapshots: (tenantId, limit) => listUsageSnapshots(db, tenantId, limit),

    async flush() {
      await Promise.all(writers.map((w) => w.flush()));
      await flushEndings();
    },
    async close() {
      await flushEndings();
      await Promise.all(writers.map((w) => w.close()));
    },
  };
}
