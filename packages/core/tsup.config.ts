import { defineConfig } from 'tsup';
import { BUILD_BASE } from '../../scripts/tsup-library';

const ENTRIES = ['src/index.ts', 'src/internal.ts', 'src/testing.ts'];
const shared = {
  ...BUILD_BASE,
  clean: false, // the build script empties dist/ once; two configs run in parallel
  dts: { ...BUILD_BASE.dts, entry: ENTRIES },
} as const;

export default defineConfig([
  {
    ...shared,
    // ESM keeps one output file per source module (plus shared chunks), so a bundler with
    // `sideEffects: false` drops every module an app does not use — a browser that only opens
    // sealed chunks must not ship zod schemas, provider adapters or the billing engine.
    entry: ['src/**/*.ts', '!src/**/*.test.ts', '!src/**/*.test-*.ts', '!src/**/testing/**', '!src/**/test-*.ts'],
    format: ['esm'],
    splitting: true,
    treeshake: true,
  },
  {
    ...shared,
    // CommonJS consumers (Node `require`) load one file per entry; tree-shaking does not apply there.
    entry: ENTRIES,
    format: ['cjs'],
  },
]);
