import { sql } from 'drizzle-orm';
import { createPackedBatchWriter, type BatchWriter, type BatchWriterOptions, type RowBatches } from './batch-writer';
import { fixedStatement } from './fixed-statement';
import type { TwinDatabase } from './open-database';
import { isoOrNull, jsonOrNull, pgArray } from './pg-array';
import { streamConnections, streamEvents } from './schema';
import type { ConnectionRow, EventRow } from './store-rows';

/** The two write-behind queues of a stream's life that share one statement per batch. */
export interface LifecycleRows {
  /** stream_connections rows written at start (the final upsert at the end wins). */
  readonly connections: BatchWriter<ConnectionRow>;
  /** The lifecycle audit log (`stream_events`). */
  readonly events: BatchWriter<EventRow>;
}

/** Options of {@link createLifecycleRows}. */
export type LifecycleRowsOptions = Pick<BatchWriterOptions<unknown>, 'intervalMs' | 'defer'> & {
  onWriteError: ((table: string, error: unknown, rows: number) => void) | undefined;
};

const CONNECTION_COLUMNS = sql.raw('(id, tenant_id, api_key_id, provider, model, purpose, status, created_at, last_seq, metadata)');
const EVENT_COLUMNS = sql.raw('(stream_id, tenant_id, type, data, created_at)');

/** A batch of opened connections, one array parameter per column. */
const INSERT_CONNECTIONS = fixedStatement(
  10,
  (ids, tenantIds, apiKeyIds, providers, models, purposes, statuses, createdAts, lastSeqs, metadata) => sql`insert into ${streamConnections} ${CONNECTION_COLUMNS}
    select * from unnest(
      ${ids}::text[], ${tenantIds}::text[], ${apiKeyIds}::text[], ${providers}::text[], ${models}::text[], ${purposes}::text[],
      ${statuses}::text[], ${createdAts}::timestamptz[], ${lastSeqs}::int[], ${metadata}::jsonb[])
    on conflict do nothing`,
);

/** A batch of audit events: unnest, one array parameter per column. */
const INSERT_EVENTS = fixedStatement(
  5,
  (streamIds, tenantIds, types, data, createdAts) => sql`insert into ${streamEvents} ${EVENT_COLUMNS}
    select * from unnest(${streamIds}::text[], ${tenantIds}::text[], ${types}::text[], ${data}::jsonb[], ${createdAts}::timestamptz[])`,
);

/**
 * Both in one statement (a data-modifying CTE runs to completion whether or not it is read): the
 * batch commits or fails whole, and is retried whole.
 */
const INSERT_BOTH = fixedStatement(
  15,
  (ids, tenantIds, apiKeyIds, providers, models, purposes, statuses, createdAts, lastSeqs, metadata, streamIds, eventTenantIds, types, data, eventCreatedAts) => sql`with connections as (
      insert into ${streamConnections} ${CONNECTION_COLUMNS}
      select * from unnest(
        ${ids}::text[], ${tenantIds}::text[], ${apiKeyIds}::text[], ${providers}::text[], ${models}::text[], ${purposes}::text[],
        ${statuses}::text[], ${createdAts}::timestamptz[], ${lastSeqs}::int[], ${metadata}::jsonb[])
      on conflict do nothing
    )
    insert into ${streamEvents} ${EVENT_COLUMNS}
    select * from unnest(${streamIds}::text[], ${eventTenantIds}::text[], ${types}::text[], ${data}::jsonb[], ${eventCreatedAts}::timestamptz[])`,
);

/** A batch of both kinds, in push order within each. */
interface LifecycleBatch {
  connections: ConnectionRow[];
  events: EventRow[];
}

type LifecycleRow = ConnectionRow | EventRow;
/** An event row names its type (`stream_events.type` is not null); a connection row has no `type`. */
const isEvent = (row: LifecycleRow): row is EventRow => (row as { type?: unknown }).type !== undefined;

const BATCHES: RowBatches<LifecycleRow, LifecycleBatch> = {
  create: () => ({ connections: [], events: [] }),
  add: (batch, row) => void (isEvent(row) ? batch.events.push(row) : batch.connections.push(row as ConnectionRow)),
  size: (batch) => batch.connections.length + batch.events.length,
};

const connectionValues = (rows: ConnectionRow[]) => [
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
];

const eventValues = (rows: EventRow[]) => [
  pgArray(rows.map((r) => r.streamId)),
  pgArray(rows.map((r) => r.tenantId)),
  pgArray(rows.map((r) => r.type)),
  pgArray(rows.map((r) => jsonOrNull(r.data))),
  pgArray(rows.map((r) => (r.createdAt ?? new Date()).toISOString())),
];

/**
 * The connection rows opened at a stream's start and the lifecycle audit events (its
 * `stream.start`, later its `stream.end`, resumes and detaches) in ONE write-behind queue: a batch
 * of both is one INSERT statement, not one per table. They were two queues with the same interval
 * and the same deferral behind the billing openings, so every stream start put a row in each, and
 * each batch was two statements the embedded database parsed, ran and committed one after the
 * other (docs/server.md, "seventh round"). Each facade keeps its own `pending` count (the backlog
 * and storage metrics read them per table); `durable`, `flush` and `close` are the queue's.
 */
export function createLifecycleRows(db: Pick<TwinDatabase, 'execute'>, options: LifecycleRowsOptions): LifecycleRows {
  let pendingConnections = 0;
  let pendingEvents = 0;
  const writer = createPackedBatchWriter<LifecycleRow, LifecycleBatch>({
    intervalMs: options.intervalMs,
    maxBatch: 1_000,
    defer: options.defer,
    batches: BATCHES,
    write: async ({ connections, events }) => {
      if (events.length === 0) await db.execute(INSERT_CONNECTIONS(...connectionValues(connections)));
      else if (connections.length === 0) await db.execute(INSERT_EVENTS(...eventValues(events)));
      else await db.execute(INSERT_BOTH(...connectionValues(connections), ...eventValues(events)));
      pendingConnections -= connections.length;
      pendingEvents -= events.length;
    },
    onError: (error, rows) => options.onWriteError?.('stream_connections, stream_events', error, rows),
  });
  const facade = <T extends LifecycleRow>(count: () => number, counted: () => void): BatchWriter<T> => ({
    push(row) {
      counted();
      writer.push(row);
    },
    durable: () => writer.durable(),
    get pending() {
      return count();
    },
    flush: () => writer.flush(),
    close: () => writer.close(),
  });
  return {
    connections: facade<ConnectionRow>(
      () => pendingConnections,
      () => pendingConnections++,
    ),
    events: facade<EventRow>(
      () => pendingEvents,
      () => pendingEvents++,
    ),
  };
}
