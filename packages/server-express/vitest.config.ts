import { defineProject } from 'vitest/config';
import { pollWaits, twinAliases } from '../../vitest.shared';

export default defineProject({
  resolve: { alias: twinAliases },
  test: {
    name: 'server-express',
    environment: 'node',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Each file boots an embedded Postgres (PGlite: a few seconds idle, 15+ s on a loaded 2-core
    // machine) and real HTTP servers. The limits only catch a hang: tests wait on events.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    expect: pollWaits,
  },
});
