import { defineProject } from 'vitest/config';
import { sharedTimeouts, twinAliases } from '../../vitest.shared';

export default defineProject({
  resolve: { alias: twinAliases },
  test: {
    ...sharedTimeouts,
    name: 'react',
    environment: 'jsdom',
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'test/**/*.test.ts', 'test/**/*.test.tsx'],
  },
});
