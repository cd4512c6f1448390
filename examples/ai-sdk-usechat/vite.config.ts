import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The reference server; `/api` is proxied to it so the page and the API share an origin (no CORS).
const target = process.env.TWIN_URL ?? 'http://localhost:8787';
const proxy = { '/api': { target, changeOrigin: true } };

// Nothing Twin-specific is bundled: the page is a plain AI SDK `useChat` app.
export default defineConfig({
  plugins: [react()],
  server: { proxy },
  preview: { proxy },
});
