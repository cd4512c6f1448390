import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'docs/api/**', '**/coverage/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // DESIGN.md §1: core runs in browsers and edge runtimes; it takes clock, random and fetch as
    // arguments instead of importing Node built-ins or server libraries.
    files: ['packages/core/src/**/*.ts'],
    ignores: ['packages/core/src/**/*.test.ts', 'packages/core/src/**/test-*.ts', 'packages/core/src/**/testing/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['node:*'], message: '@twin/core must not import Node built-ins (DESIGN.md §1).' },
          { group: ['express', 'react', 'drizzle-orm', 'drizzle-orm/*', 'postgres', '@electric-sql/*', '@twin/*'], message: '@twin/core imports no framework, database or sibling package.' },
        ],
      }],
      // Node's globals do not exist in browsers and edge runtimes (tsconfig.json loads no Node types either).
      'no-restricted-globals': ['error',
        ...['Buffer', 'process', 'setImmediate', 'clearImmediate', 'require', 'module', '__dirname', '__filename', 'global'].map((name) => ({
          name,
          message: `@twin/core runs outside Node: no \`${name}\` (DESIGN.md §1); take what you need as an argument.`,
        })),
      ],
    },
  },
  {
    files: ['packages/client/src/**/*.ts'],
    ignores: ['packages/client/src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['@twin/server-express', 'node:*', 'react'], message: '@twin/client runs in browsers and never imports server code or React.' },
      ] }],
    },
  },
);
