/**
 * Worker-thread entry: runs the embedded Postgres (PGlite) off the main thread, so its queries and
 * synchronous commits never stall the event loop that serves streams. Started by
 * {@link startPgliteWorker}; answers {@link PgliteRequest}s one at a time in order of arrival,
 * urgent statements first; statements outside an open transaction wait for it to end.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite, types, type Transaction } from '@electric-sql/pglite';
import { PreparedStatements } from './pglite-prepared';
import type { PgliteReply, PgliteRequest, PgliteWorkerData, PgliteWorkerStarted, SerializedError } from './pglite-worker-protocol';

// The parsers drizzle-orm/pglite passes with every query: date/time values stay the strings
// Postgres sent, for Drizzle's own column mappers (timestamp → Date, …); everything else uses
// PGlite's defaults (jsonb → object, numeric → string, int8 → number). They are installed once on
// the instance instead: PGlite copies its whole parser table for a query that brings its own.
const raw = (value: string) => value;
const drizzleParsers = {
  [types.TIMESTAMP]: raw,
  [types.TIMESTAMPTZ]: raw,
  [types.INTERVAL]: raw,
  [types.DATE]: raw,
  1231: raw, // numeric[]
  1115: raw, // timestamp[]
  1185: raw, // timestamptz[]
  1187: raw, // interval[]
  1182: raw, // date[]
};
const arrayRows = { rowMode: 'array' } as const;
const objectRows = { rowMode: 'object' } as const;

const port = parentPort!;
const { dataDir, settings, nice, loadDataDir } = workerData as PgliteWorkerData;

/**
 * Lowers this thread's priority. On Linux a thread's own id names it for setpriority (which then
 * applies to that thread only); /proc/thread-self gives that id. Returns it, or undefined elsewhere.
 */
function setThreadNice(value: number): number | undefined {
  try {
    const threadId = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isSafeInteger(threadId)) return undefined;
    setPriority(threadId, value);
    return threadId;
  } catch {
    return undefined;
  }
}

interface OpenTransaction {
  tx: Transaction;
  /** Ends the transaction: true commits, false rolls back. */
  end(commit: boolean): void;
  /** Settles once COMMIT or ROLLBACK ran (rejects if COMMIT failed). */
  ended: Promise<void>;
}
const transactions = new Map<number, OpenTransaction>();
let lastTransaction = 0;
const ROLLBACK = Symbol('rollback');

function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { message: String(error) };
  const e = error as Error & Record<string, unknown>;
  const out: SerializedError = { message: e.message, name: e.name };
  for (const key of ['code', 'severity', 'detail', 'hint', 'schema', 'table', 'column', 'dataType', 'constraint', 'where', 'routine'] as const) {
    if (typeof e[key] === 'string') out[key] = e[key] as string;
  }
  return out;
}

function begin(pg: PGlite): Promise<number> {
  return new Promise<number>((began, failed) => {
    const id = ++lastTransaction;
    let end!: (commit: boolean) => void;
    const decided = new Promise<boolean>((resolve) => (end = resolve));
    // PGlite holds its transaction lock for the whole callback: pg.query() from outside waits.
    const ended = pg
      .transaction(async (tx) => {
        transactions.set(id, { tx, end, ended });
        began(id);
        if (!(await decided)) throw ROLLBACK;
      })
      .catch((error: unknown) => {
        if (error !== ROLLBACK) throw error;
      })
      .finally(() => transactions.delete(id));
    // BEGIN itself failed (the callback never ran).
    ended.catch(failed);
  });
}

function openTransaction(id: number): OpenTransaction {
  const open = transactions.get(id);
  if (!open) throw new Error(`Transaction ${id} is not open in the PGlite worker.`);
  return open;
}

async function handle(pg: PGlite, prepared: PreparedStatements, request: PgliteRequest): Promise<unknown> {
  switch (request.op) {
    case 'query': {
      if (request.prepared && request.tx === undefined && request.blob === undefined) {
        return prepared.query(request.sql, request.params, request.mode === 'all' ? 'array' : 'object');
      }
      const rows = request.mode === 'all' ? arrayRows : objectRows;
      const options = request.blob === undefined ? rows : { ...rows, blob: new Blob([request.blob]) };
      const result = request.tx === undefined ? await pg.query(request.sql, request.params, options) : await openTransaction(request.tx).tx.query(request.sql, request.params, options);
      return result.rows;
    }
    case 'begin':
      return begin(pg);
    case 'commit':
    case 'rollback': {
      const open = openTransaction(request.tx);
      open.end(request.op === 'commit');
      await open.ended;
      return undefined;
    }
    case 'close':
      await pg.close();
      return undefined;
  }
}

const reply = (message: PgliteReply) => port.postMessage(message);

try {
  const pg = await PGlite.create({
    dataDir,
    startParams: [...PGlite.defaultStartParams, ...settings.flatMap((setting) => ['-c', setting])],
    ...(loadDataDir ? { loadDataDir: new Blob([readFileSync(loadDataDir)]) } : {}),
  });
  // After create: PGlite's start-up installs array parsers (numeric[], timestamp[], …) that these replace.
  Object.assign(pg.parsers, drizzleParsers);
  const prepared = new PreparedStatements(pg);
  const answer = (request: PgliteRequest) =>
    handle(pg, prepared, request).then(
      (value) => {
        reply({ id: request.id, ok: true, value });
        return value;
      },
      (error: unknown) => reply({ id: request.id, ok: false, error: serializeError(error) }),
    );
  // The database runs one statement at a time. Instead of leaving the order to PGlite's lock
  // (arrival order), statements outside a transaction wait here and run one by one, urgent ones
  // first: a stream's billing record opening waits for the statement running, not for the audit,
  // connection and ending batches that arrived before it. A transaction counts as one statement
  // from BEGIN to its end; its own statements, COMMIT and ROLLBACK run at once.
  //
  // The next statement is picked in a later turn of this thread's event loop (setImmediate), never
  // straight from the message that brought it or from the end of the one before: PGlite runs a
  // statement start to end in microtasks, so a statement started there ran before the messages
  // already waiting on the port were even received, urgent ones included (four queued statements
  // all ran ahead of an urgent one that arrived during the first). Picked after the port's
  // messages are in, an urgent statement waits for the one statement running only.
  const urgent: PgliteRequest[] = [];
  const waiting: PgliteRequest[] = [];
  let busy = false;
  let picking = false;
  const pickSoon = () => {
    if (busy || picking) return;
    picking = true;
    setImmediate(next);
  };
  const next = () => {
    picking = false;
    if (busy) return;
    const request = urgent.shift() ?? waiting.shift();
    if (!request) return;
    busy = true;
    void answer(request)
      .then((value) => (request.op === 'begin' && typeof value === 'number' ? transactions.get(value)?.ended.catch(() => {}) : undefined))
      .finally(() => {
        busy = false;
        pickSoon();
      });
  };
  port.on('message', (request: PgliteRequest) => {
    if (request.op === 'commit' || request.op === 'rollback' || (request.op === 'query' && request.tx !== undefined)) {
      void answer(request);
      return;
    }
    (request.op === 'query' && request.urgent ? urgent : waiting).push(request);
    pickSoon();
  });
  const started: PgliteWorkerStarted = {};
  const threadId = nice ? setThreadNice(nice) : undefined;
  if (threadId !== undefined) started.threadId = threadId;
  reply({ id: 0, ok: true, value: started });
} catch (error) {
  reply({ id: 0, ok: false, error: serializeError(error) });
}
