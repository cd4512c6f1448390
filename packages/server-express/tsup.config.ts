import { defineConfig } from 'tsup';
import { BUILD_BASE, LIBRARY_BUILD } from '../../scripts/tsup-library';

// Entries beside the library's: ESM only, no declaration files, written into the same dist/.
const nodeEntry = { sourcemap: BUILD_BASE.sourcemap, target: BUILD_BASE.target, format: ['esm'], clean: false } as const;

export default defineConfig([
  // import.meta.url (to find ../drizzle) in the CommonJS build too.
  { ...LIBRARY_BUILD, entry: ['src/index.ts'], shims: true },
  // The `twin-server` bin; migrations ship beside dist/ in ../drizzle.
  { ...nodeEntry, entry: ['src/cli.ts'] },
  // The embedded database's worker thread, started from dist/index.{js,cjs} and dist/cli.js as
  // ./pglite-worker.js beside them (src/storage/pglite-worker-client.ts).
  { ...nodeEntry, entry: { 'pglite-worker': 'src/storage/pglite-worker.ts' } },
  // A new embedded database's initdb, run as a child process (src/storage/create-embedded-database.ts).
  { ...nodeEntry, entry: { 'pglite-initdb': 'src/storage/pglite-initdb.ts' } },
]);
