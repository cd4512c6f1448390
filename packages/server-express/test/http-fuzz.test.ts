import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, type OpenedDatabase } from '../src/index';
import { openTestDatabase, startTestServer, type TestServer } from './test-server';

let db: OpenedDatabase;
let t: TestServer;
let key: string;
const TENANT = 'fuzz';
beforeAll(async () => {
  db = await openTestDatabase();
  t = await startTestServer(db, { simulated: { tokensPerSecond: 10_000, outputTokens: 2 } });
  key = (await createApiKey(t.store, { tenantId: TENANT })).key;
});
afterAll(async () => {
  await t.close();
  await db.close();
});

// Every route the handler owns, with `:id` filled by the generator.
const PATHS = [
  '/api/stream',
  '/api/stream/active',
  '/api/stream/stats',
  '/api/stream/:id/metrics',
  '/api/stream/:id',
  '/api/billing/records',
  '/api/billing/report',
  '/api/billing/configs',
  '/api/billing/budgets',
  '/api/billing/alerts',
  '/health',
  '/metrics',
  '/openapi.json',
];
const QUERY_KEYS = [
  'prompt', 'system', 'messages', 'model', 'provider', 'maxTokens', 'max_tokens', 'temperature', 'codec', 'purpose', 'streamId', 'lastEventId',
  'period', 'from', 'to', 'before', 'state', 'limit', 'groupBy', 'currency', 'api_key',
];

const text = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 12 }), fc.constantFrom('', '-1', '1e308', '0', 'str_x', 'null', '%FF', 'a\u0000b', 'model', '1m'));
// Raw escapes (`%FF`, `%00`, `%`) as well as well-formed encodings.
const rawComponent = fc.oneof(text.map(encodeURIComponent), fc.constantFrom('%FF', '%00', '%', '%C0%AF', '+', 'a%0Ab'));
const query = fc.array(fc.tuple(fc.oneof(fc.constantFrom(...QUERY_KEYS), fc.string({ maxLength: 6 })), rawComponent), { maxLength: 4 })
  .map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${v}`).join('&'));
const goodMessages = fc.constant([{ role: 'user', content: 'hi' }]);
const body = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc.record(
    {
      messages: fc.oneof(goodMessages, fc.jsonValue({ maxDepth: 2 })),
      model: text,
      provider: fc.constantFrom('simulated', 'nope', ''),
      maxTokens: fc.oneof(fc.integer(), fc.double(), fc.constant(1e308)),
      max_tokens: fc.integer(),
      options: fc.record({ codec: fc.constantFrom('gzip', 'brotli', 'auto', 'identity'), purpose: text }, { requiredKeys: [] }),
      metadata: fc.dictionary(text, text, { maxKeys: 2 }),
      period: fc.constantFrom('day', 'month', 'year'),
      limit: fc.constantFrom('10', '-1', 'x'),
    },
    { requiredKeys: [] },
  ).map((v) => JSON.stringify(v)),
  fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
);
const headerValue = fc.stringMatching(/^[\x20-\x7e]{0,20}$/);
const anyRequest = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'),
  path: fc.constantFrom(...PATHS),
  // An empty id is another path (`/api/stream//metrics`), which is the app's, not Twin's.
  id: rawComponent.filter((id) => id !== ''),
  query,
  body: fc.option(body, { nil: undefined }),
  contentType: fc.constantFrom('application/json', 'text/plain', 'application/json; charset=latin1', ''),
  lastEventId: fc.option(headerValue, { nil: undefined }),
  acceptEncoding: fc.option(headerValue, { nil: undefined }),
  auth: fc.oneof({ weight: 6, arbitrary: fc.constant('good') }, { weight: 1, arbitrary: headerValue }),
});
// Near-valid stream starts, so accepted streams (and their bills) are part of the run too.
const startRequest = fc.record({
  method: fc.constant('POST'),
  path: fc.constant('/api/stream'),
  id: fc.constant(''),
  query: fc.oneof(fc.constant(''), query),
  body: fc.oneof(
    fc.constant(JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] })),
    fc.record({ model: fc.constantFrom('sim-1', 'a\nb'), options: fc.record({ codec: fc.constantFrom('gzip', 'brotli') }) }).map((extra) =>
      JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], ...extra }),
    ),
  ),
  contentType: fc.constant('application/json'),
  lastEventId: fc.option(headerValue, { nil: undefined }),
  acceptEncoding: fc.option(fc.constantFrom('gzip', 'br', 'identity', 'x;q=2'), { nil: undefined }),
  auth: fc.constant('good'),
});
const request = fc.oneof({ weight: 4, arbitrary: anyRequest }, { weight: 1, arbitrary: startRequest });

describe('HTTP fuzz over every route', () => {
  it('answers any path, query, header and body without a 5xx or a crash, and bills only streams it accepted', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const headers: Record<string, string> = {};
        headers.authorization = r.auth === 'good' ? `Bearer ${key}` : r.auth;
        if (r.contentType) headers['content-type'] = r.contentType;
        if (r.lastEventId !== undefined) headers['last-event-id'] = r.lastEventId;
        if (r.acceptEncoding !== undefined) headers['accept-encoding'] = r.acceptEncoding;
        const url = `${t.url}${r.path.replace(':id', r.id)}${r.query ? `?${r.query}` : ''}`;
        const withBody = r.body !== undefined && r.method !== 'GET' && r.method !== 'HEAD';
        const res = await fetch(url, { method: r.method, headers, ...(withBody ? { body: r.body } : {}) });
        const started = res.status === 200 && (res.headers.get('content-type') ?? '').startsWith('text/event-stream');
        // Cancelling does not cancel the bill: a started stream is billed (aborted) whatever the client does.
        if (started && !/streamId=/.test(r.query)) accepted++;
        if (!started && res.status >= 400 && r.method !== 'HEAD') {
          const text = await res.text();
          const json = JSON.parse(text || 'null') as { error?: { code?: string; details?: unknown } } | null;
          expect(json, `${r.method} ${url} answered ${res.status} ${text}`).not.toBeNull();
          expect(json!.error?.code, `${r.method} ${url}`).toEqual(expect.any(String));
          expect(typeof json!.error?.details).toBe('object');
        } else await res.body?.cancel();
        expect(res.status, `${r.method} ${url}`).toBeLessThan(500);
      }),
      { numRuns: 300 },
    );
    // Still serving after all that (503 is a slow database under load, not a crash).
    const health = await fetch(`${t.url}/health`);
    expect([200, 503]).toContain(health.status);
    // Every started stream ends (aborted) and writes its record; none was written for a refusal.
    await expect.poll(async () => t.service.hub.activeStreams, { timeout: 60_000 }).toBe(0);
    await t.store.flush();
    const records = await t.store.listBillingRecords(TENANT, { limit: 1_000 });
    expect(accepted).toBeGreaterThan(0);
    expect(records.length).toBe(accepted);
  });
});
