import { defineProject } from 'vitest/config';
import { twinAliases } from '../../vitest.shared';

export default defineProject({
  resolve: { alias: twinAliases },
  test: {
    name: 'server-express',
    environment: 'node',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Each file boots an embedded Postgres (PGlite, a few seconds) and real HTTP servers.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
