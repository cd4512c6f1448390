import { defineConfig } from 'vitest/config';

// One run over every package and example; each has its own vitest.config.ts (environment, the
// @twin/* source aliases from vitest.shared.ts), picked up as a project.
export default defineConfig({
  test: {
    projects: ['packages/*', 'examples/*'],
    // CI machines have 2 cores; integration suites open servers and databases.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
