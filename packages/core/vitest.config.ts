import { defineProject } from 'vitest/config';
import { sharedTimeouts, twinAliases } from '../../vitest.shared';

export default defineProject({
  resolve: { alias: twinAliases },
  test: { ...sharedTimeouts, name: 'core', environment: 'node', include: ['src/**/*.test.ts', 'test/**/*.test.ts'] },
});
