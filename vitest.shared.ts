import { fileURLToPath } from 'node:url';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/** Tests run against the sources of sibling packages, never a stale dist/. */
export const twinAliases = {
  // Before '@twin/core': an alias also matches the paths under its key, the first one wins.
  '@twin/core/internal': here('./packages/core/src/internal.ts'),
  '@twin/core': here('./packages/core/src/index.ts'),
  '@twin/client': here('./packages/client/src/index.ts'),
  '@twin/react': here('./packages/react/src/index.ts'),
  '@twin/server-express': here('./packages/server-express/src/index.ts'),
};
