import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fetchJson } from './read-sse';
import { useTestServer } from './test-server';

const t = useTestServer();

async function post(body: unknown, headers: Record<string, string> = {}) {
  return fetchJson(`${t.url}/api/stream`, { method: 'POST', key: t.keys.t1, body, headers });
}

describe('input validation', () => {
  it('names the invalid field in a 400', async () => {
    const noMessages = await post({ messages: [] });
    expect(noMessages.status).toBe(400);
    expect(noMessages.json.error.code).toBe('invalid_request');
    expect(noMessages.json.details.field).toBe('messages');
    const badRole = await post({ messages: [{ role: 'wizard', content: 'x' }] });
    expect(badRole.json.details.field).toBe('messages.0.role');
    const badProvider = await post({ provider: 'nope', messages: [{ role: 'user', content: 'x' }] });
    expect(badProvider.status).toBe(400);
    expect(badProvider.json.details.field).toBe('provider');
    const badQuery = await fetchJson(`${t.url}/api/stream?prompt=x&maxTokens=-3`, { key: t.keys.t1 });
    expect(badQuery.json.details.field).toBe('maxTokens');
    const unknownParam = await fetchJson(`${t.url}/api/stream?prompt=x&bogus=1`, { key: t.keys.t1 });
    expect(unknownParam.status).toBe(400);
    const badPeriod = await fetchJson(`${t.url}/api/billing/report?groupBy=colour`, { key: t.keys.t1 });
    expect(badPeriod.status).toBe(400);
    expect(badPeriod.json.details.field).toBe('groupBy');
    const notJson = await fetchJson(`${t.url}/api/stream`, { method: 'POST', key: t.keys.t1, body: '{"messages": [', headers: {} });
    expect(notJson.status).toBe(400);
    const encrypt = await post({ messages: [{ role: 'user', content: 'x' }], options: { encryption: { alg: 'aes-256-gcm' } } });
    expect(encrypt.status).toBe(400);
    expect(encrypt.json.details.field).toBe('options.encryption');
  });

  it('answers any JSON body, query or path with a 2xx/4xx, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), async (body) => {
        const res = await post(body);
        if (res.status !== 200) expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
      }),
      // Keys named after Object.prototype's members once reached a 500 (`{"toString": false}`).
      { numRuns: 60, examples: [[{ toString: false }], [{ constructor: 1, valueOf: [] }], [JSON.parse('{"__proto__":{"x":1}}')]] },
    );
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.constantFrom('prompt', 'model', 'maxTokens', 'temperature', 'codec', 'messages', 'streamId', 'lastEventId', 'provider'), fc.string()), async (query) => {
        const qs = new URLSearchParams(query).toString();
        const res = await fetch(`${t.url}/api/stream?${qs}`, { headers: { authorization: `Bearer ${t.keys.t1}` } });
        await res.body?.cancel();
        expect(res.status).toBeLessThan(500);
      }),
      { numRuns: 60 },
    );
    await fc.assert(
      fc.asyncProperty(fc.string(), fc.constantFrom('GET', 'DELETE', 'PUT', 'POST'), async (segment, method) => {
        const res = await fetch(`${t.url}/api/stream/${encodeURIComponent(segment)}/metrics?period=${encodeURIComponent(segment)}`, {
          method,
          headers: { authorization: `Bearer ${t.keys.t1}` },
        });
        await res.body?.cancel();
        expect(res.status).toBeLessThan(500);
      }),
      { numRuns: 40 },
    );
  });
});
