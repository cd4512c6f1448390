import { existsSync, readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  html: 'text/html; charset=utf-8',
  svg: 'image/svg+xml',
  json: 'application/json; charset=utf-8',
};

// The page loads only its own files and talks only to this origin; no inline script.
const SECURITY_HEADERS = {
  'Content-Security-Policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

/**
 * Where the built console is: `dist/console/` beside the bundle that runs (`dist/cli.js`,
 * `dist/index.js`), or, from the TypeScript sources (tests, tsx), the package's `dist/console/`.
 */
export function findConsoleDir(): string | undefined {
  for (const candidate of ['./console/', '../../dist/console/']) {
    const dir = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(`${dir}index.html`)) return dir;
  }
  return undefined;
}

/**
 * Serves the admin console at `/admin` (the page) and `/admin/assets/*` (its hashed, immutable
 * files). Returns false for paths it does not own. The page itself needs no key; every API call it
 * makes does.
 */
export function createAdminConsole(dir: string | undefined = findConsoleDir()): (path: string, res: ServerResponse) => boolean {
  const cache = new Map<string, Buffer>();
  const read = (file: string) => {
    let body = cache.get(file);
    if (!body) {
      body = readFileSync(`${dir}${file}`);
      cache.set(file, body);
    }
    return body;
  };
  return (path, res) => {
    if (path !== '/admin' && !path.startsWith('/admin/')) return false;
    if (!dir) {
      res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('The admin console is not built: run `pnpm --filter @twin/server-express build`.\n');
      return true;
    }
    const asset = /^\/admin\/assets\/([A-Za-z0-9._-]+\.(js|css|svg))$/.exec(path);
    if (path.startsWith('/admin/assets/')) {
      const file = asset ? `assets/${asset[1]}` : undefined;
      if (!asset || !file || !existsSync(`${dir}${file}`)) {
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('Not found.\n');
        return true;
      }
      const body = read(file);
      res.writeHead(200, { 'Content-Type': TYPES[asset[2]!]!, 'Content-Length': body.length, 'Cache-Control': 'public, max-age=31536000, immutable', ...SECURITY_HEADERS });
      res.end(body);
      return true;
    }
    // Every other /admin path is the page (its routes live in the URL hash).
    const body = read('index.html');
    res.writeHead(200, { 'Content-Type': TYPES.html!, 'Content-Length': body.length, 'Cache-Control': 'no-cache', ...SECURITY_HEADERS });
    res.end(body);
    return true;
  };
}
