import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { TwinError } from '@twin/core';
import { schema } from './schema';

/** The Drizzle database Twin's store works on, whichever driver is underneath. */
export type TwinDatabase = PgDatabase<PgQueryResultHKT, typeof schema>;

/** Where Twin keeps its tables. */
export interface OpenDatabaseOptions {
  /** A Postgres connection string. When set, the `postgres` driver is used; otherwise embedded PGlite. */
  url?: string;
  /** PGlite data folder (embedded mode). `memory://` keeps everything in memory. Default `.twin-data/pglite`. */
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
  const client = await PGlite.create(inMemory ? dataDir : resolve(dataDir));
  const db = drizzlePglite(client, { schema }) as unknown as TwinDatabase;
  if (shouldMigrate) await migratePglite(db as never, { migrationsFolder: folder });
  return { db, driver: 'pglite', location: inMemory ? dataDir : resolve(dataDir), close: () => client.close() };
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
