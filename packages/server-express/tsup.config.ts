import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: { compilerOptions: { paths: {} } },
    sourcemap: true,
    clean: true,
    target: 'es2022',
    treeshake: true,
    // import.meta.url (to find ../drizzle) in the CommonJS build too.
    shims: true,
  },
  {
    // The `twin-server` bin (ESM only); migrations ship beside dist/ in ../drizzle.
    entry: ['src/cli.ts'],
    format: ['esm'],
    sourcemap: true,
    clean: false,
    target: 'es2022',
  },
  {
    // The embedded database's worker thread, started from dist/index.{js,cjs} and dist/cli.js as
    // ./pglite-worker.js beside them (src/storage/pglite-worker-client.ts).
    entry: { 'pglite-worker': 'src/storage/pglite-worker.ts' },
    format: ['esm'],
    sourcemap: true,
    clean: false,
    target: 'es2022',
  },
]);
