import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { migrationsFolder, openDatabase } from '../src/storage/open-database';

/** Every file under `dir` (sorted, relative names and contents) into `hash`. */
function hashFolder(hash: ReturnType<typeof createHash>, dir: string, prefix = ''): void {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) hashFolder(hash, path, `${prefix}${name}/`);
    else hash.update(`${prefix}${name}\0`).update(readFileSync(path)).update('\0');
  }
}

function pgliteVersion(): string {
  const pkg = fileURLToPath(new URL('../node_modules/@electric-sql/pglite/package.json', import.meta.url));
  return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
}

let made: Promise<string> | undefined;

/**
 * A PGlite dump (`dumpDataDir`) of a new embedded database that `openDatabase` created and
 * migrated, for `openDatabase({ loadDataDir })`. A new database costs seconds of CPU in initdb
 * (minutes of a whole run, one per test file); loading this dump costs a fraction of that and gives
 * the same tables. Kept in the temp folder under a name keyed on the migrations and the PGlite
 * version, so a changed migration makes a new one; written under a temporary name and renamed, so
 * runs sharing the folder never read half a file.
 */
export function pgliteTemplate(): Promise<string> {
  made ??= (async () => {
    const hash = createHash('sha256').update(`pglite ${pgliteVersion()}\0`);
    hashFolder(hash, migrationsFolder());
    const file = join(tmpdir(), `twin-pglite-template-${hash.digest('hex').slice(0, 16)}.tar`);
    if (existsSync(file)) return file;
    const dir = mkdtempSync(join(tmpdir(), 'twin-pglite-template-'));
    try {
      // The server's own path (initdb in a throwaway worker, then its migrator), on a folder that
      // PGlite then dumps from this thread.
      await (await openDatabase({ dataDir: join(dir, 'pglite') })).close();
      const pg = await PGlite.create({ dataDir: join(dir, 'pglite') });
      const dump = await pg.dumpDataDir('none');
      await pg.close();
      const partial = `${file}.${process.pid}.partial`;
      writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
      renameSync(partial, file);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return file;
  })();
  return made;
}
