import postgres from 'postgres';
import { openDatabase, type OpenedDatabase } from '../src/index';

/** The CI Postgres server (trust auth, database `test`). Override with TWIN_TEST_DATABASE_URL. */
export const POSTGRES_TEST_URL = process.env.TWIN_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * True when the test Postgres answers within ten seconds: a loaded machine can take seconds to
 * connect, and under CI=true a wrong "unreachable" fails the run.
 */
export async function postgresReachable(url = POSTGRES_TEST_URL): Promise<boolean> {
  const sql = postgres(url, { max: 1, connect_timeout: 10, onnotice: () => {} });
  try {
    await sql`select 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

/**
 * Opens the test Postgres in a schema of its own (unique per run, so parallel runs never collide)
 * and drops the schema on close.
 */
export async function openPostgresTestDatabase(): Promise<OpenedDatabase> {
  const schemaName = `twin_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const opened = await openDatabase({ url: POSTGRES_TEST_URL, schemaName, maxConnections: 4 });
  return {
    ...opened,
    async close() {
      await opened.close();
      const admin = postgres(POSTGRES_TEST_URL, { max: 1, onnotice: () => {} });
      try {
        await admin.unsafe(`DROP SCHEMA IF EXISTS "${schemaName}" CASCADE`);
      } finally {
        await admin.end({ timeout: 2 });
      }
    },
  };
}
