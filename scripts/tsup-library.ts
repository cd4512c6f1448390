import type { Options } from 'tsup';

/**
 * What every package's tsup build shares: ES2022 with source maps, and declaration files resolved
 * against the built sibling packages (`paths: {}` drops tsconfig.base.json's source paths, so a
 * package's .d.ts imports `@twin/core`, not `../core/src`).
 */
export const BUILD_BASE = {
  sourcemap: true,
  target: 'es2022',
  dts: { compilerOptions: { paths: {} } },
} as const satisfies Options;

/**
 * A library package's build: tree-shaken ESM and CommonJS, dist/ emptied first. Each config names
 * its `entry` itself (knip reads entries from the config's source, not from this module).
 */
export const LIBRARY_BUILD = { ...BUILD_BASE, format: ['esm', 'cjs'], clean: true, treeshake: true } as const satisfies Options;
