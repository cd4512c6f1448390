import { existsSync, mkdirSync } from 'node:fs';
import { getPriority } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { migrate as migrateProxy } from 'drizzle-orm/pg-proxy/migrator';
import { TwinError } from '@twin/core';
import { createEmbeddedDatabase } from './create-embedded-database';
import { startPgliteWorker } from './pglite-worker-client';
import { drizzleOverWorker } from './pglite-worker-drizzle';
import { journalOpeningsOf, openingsJournalPathOf } from './openings-journal';
import { schema } from './schema';

/** The Drizzle database Twin's store works on, whichever driver is underneath. */
export type TwinDatabase = PgDatabase<PgQueryResultHKT, typeof schema>;

/** Where Twin keeps its tables. */
export interface OpenDatabaseOptions {
  /** A Postgres connection string. When set, the `postgres` driver is used; otherwise embedded PGlite. */
  url?: string;
  /**
   * PGlite data folder (embedded mode). `memory://` keeps everything in memory. Default `.twin-data/pglite`.
   * The embedded database runs in a worker thread, so its queries never block the event loop.
   */
  dataDir?: string;
  /**
   * Postgres schema to create and use (tables and the migrations journal). Lets test runs and
   * several deployments share one database without colliding. Postgres driver only.
   */
  schemaName?: string;
  /** Apply pending migrations before returning (default true). */
  migrate?: boolean;
  /** Postgres pool size (default 10). */
  maxConnections?: number;
  /**
   * Embedded mode only: a PGlite dump file (made by PGlite's `dumpDataDir`) a new database starts
   * from instead of running initdb, which costs seconds of CPU per database. Ignored when the
   * folder already holds a database. Tests start every embedded database from one migrated dump.
   */
  loadDataDir?: string;
}

export interface OpenedDatabase {
  db: TwinDatabase;
  driver: 'pglite' | 'postgres';
  /** Where the data lives, without credentials (for logs). */
  location: string;
  close(): Promise<void>;
}

/**
 * Finds the committed drizzle-kit migrations: `../drizzle` from `dist/`, `../../drizzle` from
 * `src/storage/` (tests run against sources).
 */
export function migrationsFolder(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [join(here, '..', 'drizzle'), join(here, '..', '..', 'drizzle')]) {
    if (existsSync(join(candidate, 'meta', '_journal.json'))) return candidate;
  }
  throw new TwinError('internal', `Twin migrations folder not found near ${here}.`);
}

/**
 * Postgres settings of the embedded database. Its shared memory is allocated and touched whole in
 * PGlite's WASM memory at start, so each of these is resident size:
 * - shared_buffers: Postgres' default 128MB was most of it; 16MB holds Twin's hot pages (evicted
 *   ones come back from the OS page cache). 8MB measured slower on batched inserts.
 * - PGlite is one single-user backend: no client connections, WAL senders, replication slots or
 *   autovacuum workers. Postgres sizes its per-backend arrays (PGPROC, lock and predicate-lock
 *   tables) for some 130 backends by default; 4 connections and 1 worker slot (the minimum) leave
 *   7, which with max_locks_per_transaction's default still hold some 400 locks (a fresh
 *   database's migration, all in one transaction, takes about a hundred). Saves some 4 MiB.
 * See docs/server.md ("Memory").
 */
const EMBEDDED_SETTINGS = [
  'shared_buffers=16MB',
  'max_connections=4',
  'superuser_reserved_connections=0',
  'autovacuum_worker_slots=1',
  'max_wal_senders=0',
  'max_replication_slots=0',
];
/**
 * How much nicer than the process the embedded database's thread runs: on a busy machine the event
 * loop serving streams gets the CPU first (see docs/server.md, "Embedded database").
 */
const EMBEDDED_NICE = 10;
/** Raising a thread's niceness needs no privilege; lowering it would. */
const embeddedNice = () => Math.min(19, getPriority() + EMBEDDED_NICE);

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Opens (and by default migrates) the database: Postgres when `url` is set, embedded PGlite otherwise. */
export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<OpenedDatabase> {
  const folder = migrationsFolder();
  const shouldMigrate = options.migrate !== false;
  if (options.url) {
    const schemaName = options.schemaName;
    if (schemaName !== undefined && !SCHEMA_NAME.test(schemaName)) {
      throw new TwinError('config_invalid', 'schemaName must be a lower-case SQL identifier.', { details: { field: 'schemaName' } });
    }
    // Loaded only for a Postgres server: an embedded database never needs the driver and its Drizzle
    // adapter (with ioredis, also loaded on use: 1.4 MiB of heap and some 6.5 MiB of RSS off a start).
    const [{ default: postgres }, { drizzle: drizzlePostgres }, { migrate: migratePostgres }] = await Promise.all([
      import('postgres'),
      import('drizzle-orm/postgres-js'),
      import('drizzle-orm/postgres-js/migrator'),
    ]);
    const client = postgres(options.url, {
      max: options.maxConnections ?? 10,
      onnotice: () => {},
      ...(schemaName ? { connection: { search_path: schemaName } } : {}),
    });
    try {
      if (schemaName) await client.unsafe(`CREATE SCHEMA IF NOT EXISTS "${schemaName}"`);
      const db = drizzlePostgres(client, { schema }) as unknown as TwinDatabase;
      if (shouldMigrate) {
        await migratePostgres(db as never, { migrationsFolder: folder, ...(schemaName ? { migrationsSchema: schemaName } : {}) });
      }
      return { db, driver: 'postgres', location: redactUrl(options.url), close: () => client.end({ timeout: 5 }) };
    } catch (error) {
      await client.end({ timeout: 1 }).catch(() => {});
      throw new TwinError('internal', `Could not open the Postgres database at ${redactUrl(options.url)}.`, { cause: error });
    }
  }
  const dataDir = options.dataDir ?? join('.twin-data', 'pglite');
  const inMemory = dataDir.startsWith('memory://');
  if (!inMemory) mkdirSync(resolve(dataDir), { recursive: true });
  const location = inMemory ? dataDir : resolve(dataDir);
  const fresh = inMemory || !existsSync(join(location, 'PG_VERSION'));
  const load = fresh && options.loadDataDir ? { loadDataDir: options.loadDataDir } : {};
  if (!inMemory && fresh && !options.loadDataDir) {
    // First start on this folder: initdb (PGlite runs it in a second WASM instance) and the
    // migrations run in a child process. In a thread of this process (a throwaway worker for
    // initdb, before) they left some 110 + 55 MiB resident after the thread ended (allocator
    // arenas, compiled code, touched WASM memory); a process that ends hands all of it back.
    await createEmbeddedDatabase({ dataDir: location, settings: EMBEDDED_SETTINGS, ...(shouldMigrate ? { migrationsFolder: folder } : {}) });
  }
  const worker = await startPgliteWorker({ dataDir: location, settings: EMBEDDED_SETTINGS, nice: embeddedNice(), ...load });
  try {
    const db = drizzleOverWorker(worker, schema) as unknown as TwinDatabase;
    if (shouldMigrate) {
      // pg-proxy's migrator reads the same drizzle.__drizzle_migrations journal as the pglite one
      // did, so existing data folders carry on; the pending statements run in one transaction.
      await migrateProxy(
        db as never,
        (queries) => db.transaction(async (tx) => {
          for (const query of queries) await tx.execute(sql.raw(query));
        }),
        { migrationsFolder: folder },
      );
    }
    // A folder (not memory://) journals its billing openings beside it (see OpeningsJournal).
    if (!inMemory) journalOpeningsOf(db, openingsJournalPathOf(location));
    return { db, driver: 'pglite', location, close: () => worker.close() };
  } catch (error) {
    await worker.close().catch(() => {});
    throw error;
  }
}

/** Drops the password (and any query) from a connection string so it can be logged. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    parsed.search = '';
    return parsed.toString();
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}
