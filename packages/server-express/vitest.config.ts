import { defineProject } from 'vitest/config';
import { pollWaits, twinAliases } from '../../vitest.shared';

export default defineProject({
  resolve: { alias: twinAliases },
  test: {
    name: 'server-express',
    environment: 'node',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Each file boots an embedded Postgres (PGlite: a few seconds idle, minutes on a 2-core machine
    // under a CPU hog) and real HTTP servers. The limits only catch a hang: tests wait on events.
    testTimeout: 240_000,
    hookTimeout: 400_000,
    expect: pollWaits,
  },
});
