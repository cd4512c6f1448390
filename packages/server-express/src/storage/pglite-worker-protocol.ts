/**
 * Messages between the main thread and the PGlite worker (structured-cloned, so plain data only:
 * parsers are functions and live in the worker).
 */

/** `workerData` of the PGlite worker. */
export interface PgliteWorkerData {
  /** A folder, or `memory://…`. */
  dataDir: string;
  /** Postgres settings (`name=value`) passed as `-c` start parameters. */
  settings: string[];
  /**
   * Scheduling niceness of the worker thread (Linux; ignored elsewhere). Above 0 the database yields
   * the CPU to the event loop that serves streams when both want it: its writes are batched, and new
   * streams are refused (503) while it is too far behind.
   */
  nice?: number;
  /**
   * A PGlite dump file (`dumpDataDir`) the database starts from instead of running initdb: only
   * for a new database (`memory://`, or a folder that holds none yet).
   */
  loadDataDir?: string;
}

/** The worker's start-up reply value. */
export interface PgliteWorkerStarted {
  /** The worker's kernel thread id (Linux), whose niceness was set. */
  threadId?: number;
}

/**
 * `all` returns rows as arrays (Drizzle maps them onto the selected fields), `execute` as objects
 * keyed by column name (raw `db.execute`), the same split as drizzle-orm/pg-proxy's callback.
 */
export type RowMode = 'all' | 'execute';

export type PgliteRequest =
  /** `urgent`: runs before every statement waiting for its turn (see pglite-worker.ts). */
  /** `blob`: the input of a `COPY ... FROM '/dev/blob'` statement (UTF-8; its buffer transferred). */
  /** `prepared`: a fixed text (outside a transaction), kept as a named prepared statement (see pglite-prepared.ts). */
  | { id: number; op: 'query'; sql: string; params: unknown[]; mode: RowMode; tx?: number; urgent?: boolean; blob?: Uint8Array<ArrayBuffer>; prepared?: boolean }
  /** Opens a transaction; the reply's value is its id. Other queries wait until it ends. */
  | { id: number; op: 'begin' }
  | { id: number; op: 'commit'; tx: number }
  | { id: number; op: 'rollback'; tx: number }
  | { id: number; op: 'close' };

/** A Postgres error's fields (those of pg-protocol's DatabaseError that say what went wrong). */
export interface SerializedError {
  message: string;
  name?: string;
  code?: string;
  severity?: string;
  detail?: string;
  hint?: string;
  schema?: string;
  table?: string;
  column?: string;
  dataType?: string;
  constraint?: string;
  where?: string;
  routine?: string;
}

/** `id` 0 is the worker's start-up (the database opened, or why not). */
export type PgliteReply = { id: number; ok: true; value?: unknown } | { id: number; ok: false; error: SerializedError };
