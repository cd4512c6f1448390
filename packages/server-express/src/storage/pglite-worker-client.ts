import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { TwinError } from '@twin/core';
import type { PgliteReply, PgliteRequest, PgliteWorkerData, PgliteWorkerStarted, RowMode, SerializedError } from './pglite-worker-protocol';

/** The embedded database, answered by a worker thread. */
export interface PgliteWorkerClient {
  /** Runs one statement; inside transaction `tx` when given. Resolves to its rows. */
  query(sql: string, params: unknown[], mode: RowMode, tx?: number): Promise<unknown[]>;
  /**
   * Runs one statement ahead of every statement waiting in the worker: it waits only for the one
   * running (or an open transaction). For the writes a client waits on (a stream's billing record
   * opening, before its first content byte).
   */
  urgentQuery(sql: string, params: unknown[], mode: RowMode): Promise<unknown[]>;
  /**
   * Runs a statement whose text is fixed (a `fixedStatement`: every stream's opening, ending, audit
   * and connection rows) outside any transaction, its rows as objects: the worker keeps the text
   * prepared (parsed once, its plan reused, see pglite-prepared.ts). `urgent` as {@link urgentQuery}.
   */
  fixedQuery(sql: string, params: unknown[], urgent: boolean): Promise<unknown[]>;
  /**
   * Runs `COPY ... FROM '/dev/blob'` with `data` as its input (in the format the statement names),
   * queued as any other statement. `data`'s buffer moves to the worker thread (it is detached
   * here): the caller must own the whole buffer (not a view of a pooled or shared one).
   */
  copyFrom(sql: string, data: Uint8Array<ArrayBuffer>): Promise<void>;
  /** Opens a transaction (the database's only one: other queries wait until it ends); resolves to its id. */
  begin(): Promise<number>;
  commit(tx: number): Promise<void>;
  rollback(tx: number): Promise<void>;
  /** The worker's kernel thread id (Linux, when its niceness was set). */
  readonly threadId: number | undefined;
  /** Closes PGlite (its data flushed), then ends the worker. Later calls reject. */
  close(): Promise<void>;
}

/** A Postgres error raised in the worker, with its SQLSTATE `code`, `constraint`, `detail`, … */
export class EmbeddedDatabaseError extends Error {
  readonly code?: string;
  readonly severity?: string;
  readonly detail?: string;
  readonly hint?: string;
  readonly schema?: string;
  readonly table?: string;
  readonly column?: string;
  readonly dataType?: string;
  readonly constraint?: string;
  readonly where?: string;
  readonly routine?: string;

  constructor(error: SerializedError) {
    super(error.message);
    const { message: _message, name, ...fields } = error;
    this.name = name && name !== 'Error' ? name : 'EmbeddedDatabaseError';
    Object.assign(this, fields);
  }
}

/**
 * How to start the worker entry: `dist/pglite-worker.js` beside the bundle, or, when running from
 * the .ts sources (vitest, tsx), `pglite-worker.ts` through tsx's `tsImport` — on Node 20 a
 * worker inherits no module hooks, and `--import tsx` in its execArgv is not applied.
 */
function workerEntry(): { entry: string | URL; eval: boolean } {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return { entry: new URL('./pglite-worker.js', here), eval: false };
  const source = new URL('./pglite-worker.ts', here).href;
  const require = createRequire(here);
  const tsxPackage = require.resolve('tsx/package.json');
  const exports = JSON.parse(readFileSync(tsxPackage, 'utf8')).exports as Record<string, { import: { default: string } }>;
  const api = pathToFileURL(join(dirname(tsxPackage), exports['./esm/api']!.import.default)).href;
  return {
    entry: `import(${JSON.stringify(api)}).then(({ tsImport }) => tsImport(${JSON.stringify(source)}, ${JSON.stringify(source)}))`,
    eval: true,
  };
}

/**
 * The worker's young generation (V8's new space), in MiB. V8 grows it up to 32 MiB (two 16 MiB
 * semi-spaces on 64-bit) as soon as an isolate allocates steadily, and PGlite's JS side does (a
 * result object per query, protocol buffers): the worker held 28-32 MiB of new space, resident,
 * for objects that die young. Capped at 8 MiB, a worker that fills it holds 16-24 MiB less; the
 * worker's CPU showed no difference within this machine's noise (docs/server.md, issue #19 RSS).
 */
const WORKER_YOUNG_GENERATION_MB = 8;

/**
 * Starts the PGlite worker and resolves once the database is open (and fails if it cannot open).
 * `entry` replaces the worker script (tests start one that crashes).
 */
export async function startPgliteWorker(data: PgliteWorkerData, { entry: script }: { entry?: URL } = {}): Promise<PgliteWorkerClient> {
  const { entry, eval: isEval } = script ? { entry: script, eval: false } : workerEntry();
  const worker = new Worker(entry, { eval: isEval, workerData: data, name: 'twin-pglite', resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: unknown) => void }>();
  let lastId = 0;
  // Set once the worker can no longer answer: every call after that rejects with it.
  let stopped: Error | undefined;
  let closing: Promise<void> | undefined;

  const fail = (error: Error) => {
    stopped ??= error;
    for (const waiting of pending.values()) waiting.reject(stopped);
    pending.clear();
  };
  // Idle, the worker must not keep the process alive; with a call in flight it must (or a script
  // awaiting only a query would exit before the answer).
  const refWhileBusy = () => (pending.size > 0 ? worker.ref() : worker.unref());
  const answer = (id: number) =>
    new Promise<unknown>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      refWhileBusy();
    });
  // Each request is built with id 0 and numbered here (a copy with the id spread in, per
  // statement, was garbage of every stream's statements).
  const call = (request: PgliteRequest, transfer?: ArrayBuffer[]): Promise<unknown> => {
    if (stopped) return Promise.reject(stopped);
    const id = ++lastId;
    const answered = answer(id);
    request.id = id;
    worker.postMessage(request, transfer);
    return answered;
  };

  worker.on('message', (message: PgliteReply) => {
    const waiting = pending.get(message.id);
    if (!waiting) return;
    pending.delete(message.id);
    refWhileBusy();
    if (message.ok) waiting.resolve(message.value);
    else waiting.reject(new EmbeddedDatabaseError(message.error));
  });
  worker.on('error', (error) => fail(new TwinError('internal', `The embedded database worker crashed: ${error.message}`, { cause: error })));
  worker.on('exit', (code) => fail(new TwinError('internal', `The embedded database worker exited (code ${code}).`)));

  // Reply 0 is the worker's own: the database opened, or why it could not.
  let started: PgliteWorkerStarted | undefined;
  try {
    started = (await answer(0)) as PgliteWorkerStarted | undefined;
  } catch (error) {
    await worker.terminate();
    throw new TwinError('internal', `Could not open the embedded database at ${data.dataDir}: ${(error as Error).message}`, { cause: error });
  }

  return {
    threadId: started?.threadId,
    // tx undefined is outside any transaction (the worker reads it so), as when the key is left out.
    query: (sql, params, mode, tx) => call({ id: 0, op: 'query', sql, params, mode, tx }) as Promise<unknown[]>,
    urgentQuery: (sql, params, mode) => call({ id: 0, op: 'query', sql, params, mode, urgent: true }) as Promise<unknown[]>,
    fixedQuery: (sql, params, urgent) => call({ id: 0, op: 'query', sql, params, mode: 'execute', urgent, prepared: true }) as Promise<unknown[]>,
    // Moved, not copied: nothing of the batch stays on this thread's heap while the statement waits its turn.
    copyFrom: async (sql, data) => void (await call({ id: 0, op: 'query', sql, params: [], mode: 'execute', blob: data }, [data.buffer])),
    begin: () => call({ id: 0, op: 'begin' }) as Promise<number>,
    commit: async (tx) => void (await call({ id: 0, op: 'commit', tx })),
    rollback: async (tx) => void (await call({ id: 0, op: 'rollback', tx })),
    close() {
      closing ??= (async () => {
        await call({ id: 0, op: 'close' });
        stopped ??= new TwinError('internal', 'The embedded database is closed.');
        await worker.terminate();
      })();
      return closing;
    },
  };
}
