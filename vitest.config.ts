import { defineConfig } from 'vitest/config';
import { twinAliases } from './vitest.shared';

// One run over every package; each package may add its own vitest.config.ts (environment, setup)
// which is picked up as a project.
export default defineConfig({
  resolve: { alias: twinAliases },
  test: {
    projects: ['packages/*', 'examples/*'],
    // CI machines have 2 cores; integration suites open servers and databases.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
