import { createTableRelationsHelpers, extractTablesRelationalConfig, sql, type ExtractTablesWithRelations, type RelationalSchemaConfig, type TablesRelationalConfig } from 'drizzle-orm';
import { PgDialect, PgTransaction, type PgTransactionConfig } from 'drizzle-orm/pg-core';
import { PgRemoteDatabase, PgRemoteSession, type PgRemoteQueryResultHKT } from 'drizzle-orm/pg-proxy';
import { FixedQuery } from './fixed-statement';
import type { PgliteWorkerClient } from './pglite-worker-client';

type Relations = RelationalSchemaConfig<TablesRelationalConfig> | undefined;

/**
 * drizzle-orm/pg-proxy's session (its query path: `all` → array rows mapped onto fields, `execute`
 * → object rows) over the PGlite worker, plus the transactions pg-proxy leaves out: a transaction
 * gets an id in the worker and its statements run inside it while everything else waits.
 */
class WorkerSession extends PgRemoteSession<Record<string, unknown>, TablesRelationalConfig> {
  constructor(
    private readonly worker: PgliteWorkerClient,
    private readonly pgDialect: PgDialect,
    private readonly relations: Relations,
    txId?: number | 'urgent',
  ) {
    super(
      txId === 'urgent'
        ? async (query, params, mode) => ({ rows: await worker.urgentQuery(query, params, mode) })
        : async (query, params, mode) => ({ rows: await worker.query(query, params, mode, txId) }),
      pgDialect,
      relations,
    );
  }

  override async transaction<T>(run: (tx: WorkerTransaction) => Promise<T>, config?: PgTransactionConfig): Promise<T> {
    const id = await this.worker.begin();
    const tx = new WorkerTransaction(this.pgDialect, new WorkerSession(this.worker, this.pgDialect, this.relations, id), this.relations);
    let result: T;
    try {
      if (config) await tx.setTransaction(config);
      result = await run(tx);
    } catch (error) {
      // The callback's error is the one to report; a failed ROLLBACK (worker gone) says less.
      await this.worker.rollback(id).catch(() => {});
      throw error;
    }
    await this.worker.commit(id);
    return result;
  }
}

/** A transaction; a nested one is a savepoint, as with drizzle-orm/pglite. */
class WorkerTransaction extends PgTransaction<PgRemoteQueryResultHKT, Record<string, unknown>, TablesRelationalConfig> {
  constructor(
    private readonly pgDialect: PgDialect,
    private readonly workerSession: WorkerSession,
    private readonly relations: Relations,
    nestedIndex = 0,
  ) {
    super(pgDialect, workerSession, relations, nestedIndex);
  }

  override async transaction<T>(run: (tx: WorkerTransaction) => Promise<T>): Promise<T> {
    const savepoint = `sp${this.nestedIndex + 1}`;
    const tx = new WorkerTransaction(this.pgDialect, this.workerSession, this.relations, this.nestedIndex + 1);
    await tx.execute(sql.raw(`savepoint ${savepoint}`));
    try {
      const result = await run(tx);
      await tx.execute(sql.raw(`release savepoint ${savepoint}`));
      return result;
    } catch (error) {
      await tx.execute(sql.raw(`rollback to savepoint ${savepoint}`));
      throw error;
    }
  }
}

const URGENT = Symbol('urgent lane');

/**
 * `db.execute` of a {@link FixedQuery} (a stream's opening, ending, audit and connection rows)
 * posts its text and parameters to the worker as they are: what Drizzle's execution of it would
 * send (pg-proxy's `execute` mode, object rows back), without the `SQL` built from them, the
 * query rendered again, the prepared query, its spans and promises, some 4-10 KB of garbage per
 * statement on the thread that serves the streams. Any other query goes through Drizzle.
 */
function runFixedDirectly(db: { execute: (query: never) => unknown }, run: (text: string, params: unknown[]) => Promise<unknown[]>): void {
  const execute = db.execute.bind(db) as (query: unknown) => unknown;
  Object.defineProperty(db, 'execute', {
    value: (query: unknown) => (query instanceof FixedQuery ? run(query.text, query.params) : execute(query)),
  });
}

/**
 * A Drizzle database whose queries run in the PGlite worker. Its urgent lane (see
 * {@link urgentLane}) is the same database whose statements overtake the queued ones.
 */
export function drizzleOverWorker<TSchema extends Record<string, unknown>>(worker: PgliteWorkerClient, schema: TSchema): PgRemoteDatabase<TSchema> {
  const dialect = new PgDialect();
  const tables = extractTablesRelationalConfig(schema, createTableRelationsHelpers);
  const relations = { fullSchema: schema, schema: tables.tables, tableNamesMap: tables.tableNamesMap };
  const config = relations as RelationalSchemaConfig<ExtractTablesWithRelations<TSchema>>;
  // What drizzle-orm/pg-proxy's drizzle() builds, with this session instead of its own.
  const db = new PgRemoteDatabase<TSchema>(dialect, new WorkerSession(worker, dialect, relations), config);
  const urgent = new PgRemoteDatabase<TSchema>(dialect, new WorkerSession(worker, dialect, relations, 'urgent'), config);
  runFixedDirectly(db, (text, params) => worker.fixedQuery(text, params, false));
  runFixedDirectly(urgent, (text, params) => worker.fixedQuery(text, params, true));
  Object.defineProperty(db, URGENT, { value: urgent });
  Object.defineProperty(db, COPY, { value: (statement: string, data: Uint8Array<ArrayBuffer>) => worker.copyFrom(statement, data) });
  return db;
}

const COPY = Symbol('bulk copy');

/**
 * The embedded database's bulk load (`COPY ... FROM '/dev/blob'` with `data` as its input, in the
 * format the statement names, its buffer moved to the worker, see
 * {@link PgliteWorkerClient.copyFrom}), or undefined for a database without it (a Postgres server
 * through its driver).
 */
export function bulkCopy(db: object): ((statement: string, data: Uint8Array<ArrayBuffer>) => Promise<void>) | undefined {
  return (db as { [COPY]?: (statement: string, data: Uint8Array<ArrayBuffer>) => Promise<void> })[COPY];
}

/**
 * The database `db` with its statements run ahead of those queued behind on the embedded
 * database's one connection (only the one running is waited for): for the writes a client waits
 * on. A database with a pool of connections (a Postgres server) is returned as it is.
 */
export function urgentLane<T extends object>(db: T): T {
  return ((db as { [URGENT]?: T })[URGENT] ?? db);
}
