import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
// `pnpm --filter @twin/server-express exec vite --config console/vite.config.ts` serves the console
// with hot reload against a running twin-server (default :8787).
const target = process.env.TWIN_URL ?? 'http://localhost:8787';

/** The admin console, built into the package's dist/console and served by twin-server at /admin. */
export default defineConfig({
  root: here('.'),
  base: '/admin/',
  plugins: [react()],
  build: {
    outDir: here('../dist/console'),
    emptyOutDir: true,
    // One small app: no source maps shipped, no legacy targets.
    sourcemap: false,
    target: 'es2022',
    reportCompressedSize: false,
  },
  server: { proxy: { '/api': { target, changeOrigin: true } } },
});
