import { fileURLToPath } from 'node:url';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/** Tests run against the sources of sibling packages, never a stale dist/. */
export const twinAliases = {
  // Before '@twin/core': an alias also matches the paths under its key, the first one wins.
  '@twin/core/internal': here('./packages/core/src/internal.ts'),
  '@twin/core/testing': here('./packages/core/src/testing.ts'),
  '@twin/core': here('./packages/core/src/index.ts'),
  '@twin/client': here('./packages/client/src/index.ts'),
  '@twin/react': here('./packages/react/src/index.ts'),
  '@twin/server-express': here('./packages/server-express/src/index.ts'),
};

/**
 * `expect.poll` waits on a condition; its default 1 s limit is a clock a loaded machine outruns
 * (a browser page, a write-behind batch). Every project takes this one: only a hang trips it.
 */
export const pollWaits = { poll: { timeout: 30_000 } };

/**
 * Time limits of every project. The root config's limits do not reach projects, which then fell
 * back to vitest's 5 s: a property test that takes 1 s on an idle machine timed out on a loaded
 * 2-core one. Tests assert on events and injected clocks, so a limit only catches a hang.
 */
export const sharedTimeouts = { testTimeout: 60_000, hookTimeout: 120_000, expect: pollWaits };
