import { defineConfig } from 'drizzle-kit';

// `pnpm --filter @twin/server-express db:generate` writes a new migration into ./drizzle after a
// change to the schema; the server applies them on start (both drivers).
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/storage/schema.ts',
  out: './drizzle',
});
