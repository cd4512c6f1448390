import type { IncomingMessage, ServerResponse } from 'node:http';

/** Which browser origins may call the API. */
export interface CorsOptions {
  /** Allowed origins (`https://app.example.com`), or `*` for any. Empty: CORS off (same-origin only). */
  origins: readonly string[] | '*';
  /** Send `Access-Control-Allow-Credentials: true` (cookies, HTTP auth). Off by default: keys travel in headers. */
  credentials?: boolean;
  /** How long a browser may cache a preflight answer (default 600 s). */
  maxAgeSeconds?: number;
}

const ALLOW_METHODS = 'GET, POST, PUT, PATCH, DELETE, OPTIONS';
const ALLOW_HEADERS = 'Authorization, Content-Type, X-Api-Key, Last-Event-ID, Accept-Encoding';
// What a browser script may read from a response: the stream id, the rate-limit state, Retry-After.
const EXPOSE_HEADERS = [
  'X-Twin-Stream-Id',
  'Retry-After',
  'x-ratelimit-limit-requests',
  'x-ratelimit-remaining-requests',
  'x-ratelimit-reset-requests',
  'x-ratelimit-limit-tokens',
  'x-ratelimit-remaining-tokens',
  'x-ratelimit-reset-tokens',
].join(', ');

/**
 * Adds the CORS headers for an allowed `Origin` and answers preflights. Returns true when the
 * request was a preflight and has been answered (204, or 403 for an origin not on the list).
 */
export function applyCors(options: CorsOptions | undefined, req: IncomingMessage, res: ServerResponse): boolean {
  const origin = req.headers.origin;
  const preflight = req.method === 'OPTIONS' && typeof req.headers['access-control-request-method'] === 'string';
  if (!options || typeof origin !== 'string') return false;
  const any = options.origins === '*';
  const allowed = any || (options.origins as readonly string[]).includes(origin);
  res.setHeader('Vary', 'Origin');
  if (!allowed) {
    if (preflight) {
      res.writeHead(403, { 'Content-Length': 0 });
      res.end();
      return true;
    }
    return false;
  }
  // With credentials a browser refuses `*`: echo the origin instead.
  res.setHeader('Access-Control-Allow-Origin', any && !options.credentials ? '*' : origin);
  if (options.credentials) res.setHeader('Access-Control-Allow-Credentials', 'true');
  if (!preflight) {
    res.setHeader('Access-Control-Expose-Headers', EXPOSE_HEADERS);
    return false;
  }
  res.writeHead(204, {
    'Access-Control-Allow-Methods': ALLOW_METHODS,
    'Access-Control-Allow-Headers': ALLOW_HEADERS,
    'Access-Control-Max-Age': String(options.maxAgeSeconds ?? 600),
    'Content-Length': 0,
  });
  res.end();
  return true;
}
