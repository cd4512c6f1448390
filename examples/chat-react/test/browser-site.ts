import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { freePort } from './reference-server';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** True when Chromium is installed; in CI a missing browser throws (a broken environment, not a pass). */
export function haveChromium(suite: string): boolean {
  const found = existsSync(CHROMIUM);
  if (!found && process.env.CI === 'true') {
    throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH).`);
  }
  if (!found) console.warn(`[${suite}] SKIPPED: Chromium not found at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH).`);
  return found;
}

/** Debian's Chromium, headless, with nothing that phones home. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface Site {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Builds the Vite app in `root` and serves the build with `/api` proxied to `apiTarget`. */
export async function buildAndPreview(root: string, apiTarget: string): Promise<Site> {
  const outDir = mkdtempSync(join(tmpdir(), 'twin-site-dist-'));
  const configFile = join(root, 'vite.config.ts');
  await build({ root, configFile, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  const proxy = { '/api': { target: apiTarget, changeOrigin: true } };
  const site: PreviewServer = await preview({
    root,
    configFile,
    logLevel: 'warn',
    build: { outDir },
    preview: { port: await freePort(), strictPort: true, host: '127.0.0.1', proxy },
  });
  const port = site.config.preview.port as number;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    async close() {
      await new Promise<void>((resolve) => site.httpServer.close(() => resolve()));
      rmSync(outDir, { recursive: true, force: true });
    },
  };
}

/** The directory screenshots go to: `TWIN_SHOTS_DIR`, else a fresh temp dir (never the repository). */
export function shotsDir(prefix: string): string {
  return process.env.TWIN_SHOTS_DIR ?? mkdtempSync(join(tmpdir(), prefix));
}
