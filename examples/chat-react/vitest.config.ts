import { defineProject } from 'vitest/config';
import { pollWaits, twinAliases } from '../../vitest.shared';

export default defineProject({
  resolve: { alias: twinAliases },
  test: {
    name: 'example-chat-react',
    environment: 'node',
    include: ['test/**/*.test.ts'],
    // Builds the page, boots the reference server and drives Chromium.
    testTimeout: 90_000,
    hookTimeout: 400_000,
    expect: pollWaits,
  },
});
