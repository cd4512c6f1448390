/**
 * Child-process entry: creates a new embedded database (PGlite's initdb) in the folder given as
 * its argument, applies the migrations when asked, closes it (its files flushed) and exits. Run by
 * {@link createEmbeddedDatabase}: what initdb and a new database's migrations leave resident in a
 * thread of the server's own process (allocator arenas, compiled code, touched WASM memory) is
 * only handed back whole when the process that held it ends.
 */
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pg-proxy';
import { migrate } from 'drizzle-orm/pg-proxy/migrator';
import type { EmbeddedInitdbArgs } from './create-embedded-database';

const { dataDir, settings, migrationsFolder } = JSON.parse(process.argv.at(-1)!) as EmbeddedInitdbArgs;
try {
  const pg = await PGlite.create({ dataDir, startParams: [...PGlite.defaultStartParams, ...settings.flatMap((setting) => ['-c', setting])] });
  if (migrationsFolder) {
    // The server's own migrator (open-database.ts: pg-proxy's, one transaction, one statement per
    // query), over this PGlite: the same journal, so the server then finds nothing pending.
    const db = drizzle(async (sql, params, method) => ({ rows: (await pg.query(sql, params, { rowMode: method === 'all' ? 'array' : 'object' })).rows }));
    await migrate(db, (queries) => pg.transaction(async (tx) => {
      for (const query of queries) await tx.query(query);
    }), { migrationsFolder });
  }
  await pg.close();
} catch (error) {
  process.stderr.write(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
}
