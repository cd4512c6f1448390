import { defineProject } from 'vitest/config';
import { twinAliases } from '../../vitest.shared';

export default defineProject({
  resolve: { alias: twinAliases },
  test: { name: 'example-node-cli', environment: 'node', include: ['test/**/*.test.ts'] },
});
