import { defineProject } from 'vitest/config';
import { pollWaits, twinAliases } from '../../vitest.shared';

export default defineProject({
  resolve: { alias: twinAliases },
  // One suite boots the reference server (database migrations included).
  test: { name: 'example-openai-compatible', environment: 'node', include: ['test/**/*.test.ts'], testTimeout: 90_000, hookTimeout: 400_000, expect: pollWaits },
});
