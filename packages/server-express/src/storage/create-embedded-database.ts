import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { TwinError } from '@twin/core';

/** What pglite-initdb.ts is given (as JSON, its last argument). */
export interface EmbeddedInitdbArgs {
  dataDir: string;
  /** Postgres settings (`name=value`), as the worker passes them. */
  settings: string[];
  /** The drizzle-kit migrations to apply to the new database (none when absent). */
  migrationsFolder?: string;
}

/**
 * The node arguments that run the initdb entry: `dist/pglite-initdb.js` beside the bundle, or,
 * from the .ts sources (vitest, tsx), `pglite-initdb.ts` under tsx's loader.
 */
function initdbEntry(): string[] {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return [fileURLToPath(new URL('./pglite-initdb.js', here))];
  const require = createRequire(here);
  const tsxPackage = require.resolve('tsx/package.json');
  const loader = (JSON.parse(readFileSync(tsxPackage, 'utf8')) as { exports: Record<string, string> }).exports['.']!;
  return ['--import', pathToFileURL(join(dirname(tsxPackage), loader)).href, fileURLToPath(new URL('./pglite-initdb.ts', here))];
}

/**
 * Creates a new embedded database in `dataDir` (a folder that holds none yet) in a child process,
 * migrated when `migrationsFolder` is given, and resolves once its files are written. The server's
 * own worker then opens the folder as an existing, migrated database: initdb and the migrations
 * (some 110 and 55 MiB resident in a thread of the server's process, measured) leave nothing in it.
 */
export function createEmbeddedDatabase(args: EmbeddedInitdbArgs): Promise<void> {
  return new Promise((resolve, reject) => {
    // The server's own node flags (an inspector port, --expose-gc, …) are not the child's.
    const child = spawn(process.execPath, [...initdbEntry(), JSON.stringify(args)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.once('error', (error) => reject(new TwinError('internal', `Could not create the embedded database at ${args.dataDir}: ${error.message}`, { cause: error })));
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new TwinError('internal', `Could not create the embedded database at ${args.dataDir}: ${stderr.trim() || `its initdb process ended (${signal ?? `code ${code}`})`}`));
    });
  });
}
