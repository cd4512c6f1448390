import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { describe, expect, it } from 'vitest';
import { createEmbeddedDatabase } from '../src/storage/create-embedded-database';
import { migrationsFolder, openDatabase } from '../src/storage/open-database';

// A new embedded database is made (initdb and migrations) in a child process, so that what they
// leave resident is not the server's (docs/server.md, "Embedded database").

describe('createEmbeddedDatabase', () => {
  it('writes a migrated database into the folder, whose journal the server then finds complete', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'twin-embedded-create-'));
    try {
      await createEmbeddedDatabase({ dataDir: join(dir, 'pg'), settings: ['shared_buffers=16MB'], migrationsFolder: migrationsFolder() });
      const migrations = readdirSync(migrationsFolder()).filter((name) => name.endsWith('.sql')).length;
      const journal = async () => {
        const pg = await PGlite.create({ dataDir: join(dir, 'pg') });
        try {
          return (await pg.query<{ n: number }>('select count(*)::int as n from drizzle.__drizzle_migrations')).rows[0]!.n;
        } finally {
          await pg.close();
        }
      };
      expect(await journal()).toBe(migrations);
      // The server's migrator (in its worker) finds nothing pending: no statement ran twice.
      const opened = await openDatabase({ dataDir: join(dir, 'pg') });
      await opened.close();
      expect(await journal()).toBe(migrations);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the folder and what went wrong when the database cannot be created', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'twin-embedded-create-'));
    try {
      await expect(createEmbeddedDatabase({ dataDir: join(dir, 'pg'), settings: ['no_such_setting=1'] })).rejects.toThrow(
        // PGlite's own reason (it does not name the setting), after the folder.
        new RegExp(`^Could not create the embedded database at ${join(dir, 'pg')}: \\S`),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
