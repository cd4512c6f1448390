import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
// The reference server; `/api` is proxied to it so the page and the API share an origin (no CORS).
const target = process.env.TWIN_URL ?? 'http://localhost:8787';
const proxy = { '/api': { target, changeOrigin: true } };

export default defineConfig({
  plugins: [react()],
  // Like the tests, the example runs on the packages' sources: no build step between an edit and the page.
  resolve: {
    alias: {
      '@twin/react': here('../../packages/react/src/index.ts'),
      '@twin/client': here('../../packages/client/src/index.ts'),
    },
  },
  server: { proxy },
  preview: { proxy },
});
