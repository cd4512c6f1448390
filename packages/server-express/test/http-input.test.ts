import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { fetchJson, openSSE } from './read-sse';
import { useTestServer } from './test-server';

const t = useTestServer();

const hello = [{ role: 'user', content: 'hi' }];

async function post(body: unknown, headers: Record<string, string> = {}) {
  return fetchJson(`${t.url}/api/stream`, { method: 'POST', key: t.keys.t1, body, headers });
}

/** Every error answer has one shape, whatever its status. */
function expectErrorShape(json: { error?: Record<string, unknown> }, code: string) {
  expect(json.error).toMatchObject({ code, message: expect.any(String) });
  expect(typeof json.error!.details).toBe('object');
}

describe('ids are checked before any query', () => {
  it('answers a NUL in a stream id with 400, never 500', async () => {
    const res = await fetchJson(`${t.url}/api/stream/abc%00def/metrics`, { key: t.keys.t1 });
    expect(res.status).toBe(400);
    expectErrorShape(res.json, 'invalid_request');
    expect(res.json.error.details).toMatchObject({ field: 'id', received: '"abc\\u0000def"' });
    const resume = await fetchJson(`${t.url}/api/stream?streamId=a%0Ab`, { key: t.keys.t1 });
    expect(resume.status).toBe(400);
    expect(resume.json.details.field).toBe('streamId');
    const del = await fetchJson(`${t.url}/api/stream/${'x'.repeat(129)}`, { method: 'DELETE', key: t.keys.t1 });
    expect(del.status).toBe(400);
  });
});

describe('Last-Event-ID', () => {
  it('takes -1, <seq> and <streamId>:<seq> of the stream resumed; anything else is a 400 naming the header', async () => {
    const r = await openSSE(`${t.url}/api/stream?prompt=resume+me`, { headers: { authorization: `Bearer ${t.keys.t1}` } });
    await r.done;
    const streamId = (r.events[0]!.json as { streamId: string }).streamId;
    const resume = (id: string) => fetch(`${t.url}/api/stream?streamId=${streamId}`, { headers: { authorization: `Bearer ${t.keys.t1}`, 'last-event-id': id } });
    for (const ok of ['-1', '1', `${streamId}:1`]) {
      const res = await resume(ok);
      await res.body?.cancel();
      expect(res.status, ok).not.toBe(400);
    }
    for (const bad of ['str_other:1', 'abc', '1.5', '-2', '01']) {
      const res = await resume(bad);
      expect(res.status, bad).toBe(400);
      expect(((await res.json()) as { error: { details: { field: string } } }).error.details.field).toBe('Last-Event-ID');
    }
  });
});

describe('bytes and names', () => {
  it('refuses a body that is not UTF-8, naming the byte', async () => {
    const bytes = Buffer.concat([Buffer.from('{"messages":[{"role":"user","content":"a'), Buffer.from([0xff]), Buffer.from('"}]}')]);
    const res = await fetch(`${t.url}/api/stream`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.keys.t1}`, 'content-type': 'application/json' },
      body: bytes,
    });
    const json = await res.json();
    expect(res.status).toBe(400);
    expect(json.error.details).toMatchObject({ field: '(body)', byteOffset: 40 });
    expect(json.error.message).toMatch(/not valid UTF-8: byte 40/);
  });

  it('refuses a query whose percent-escapes are not UTF-8, and a parameter given twice', async () => {
    const bad = await fetchJson(`${t.url}/api/stream?prompt=%FF`, { key: t.keys.t1 });
    expect(bad.status).toBe(400);
    expect(bad.json.details.field).toBe('prompt');
    const twice = await fetchJson(`${t.url}/api/stream?prompt=a&maxTokens=1&maxTokens=99`, { key: t.keys.t1 });
    expect(twice.status).toBe(400);
    expect(twice.json.details.field).toBe('maxTokens');
  });

  it('holds provider, model, purpose and metadata keys to a declared character set', async () => {
    const model = await post({ model: 'm\r\ndata: x', messages: hello });
    expect(model.status).toBe(400);
    expect(model.json.details.field).toBe('model');
    expect(model.json.error.message).toContain('\\r\\n');
    const purpose = await post({ messages: hello, options: { purpose: 'a b' } });
    expect(purpose.json.details.field).toBe('options.purpose');
    const key = await post({ messages: hello, metadata: { 'bad key': 'x' } });
    expect(key.status).toBe(400);
    const value = await post({ messages: hello, metadata: { k: 'nul\u0000' } });
    expect(value.status).toBe(400);
    const queryModel = await fetchJson(`${t.url}/api/stream?prompt=x&model=${encodeURIComponent('a\nb')}`, { key: t.keys.t1 });
    expect(queryModel.status).toBe(400);
  });
});

describe('unknown keys', () => {
  it('refuses them in the body, naming the key and the near miss', async () => {
    const res = await post({ messages: hello, max_tokens: 5 });
    expect(res.status).toBe(400);
    expect(res.json.details).toMatchObject({ field: 'max_tokens', suggestion: 'maxTokens' });
    expect(res.json.error.message).toMatch(/did you mean "maxTokens"/);
    const nested = await post({ messages: [{ role: 'user', content: 'x', name: 'n' }] });
    expect(nested.json.details.field).toBe('messages.0.name');
    const option = await post({ messages: hello, options: { codecs: 'gzip' } });
    expect(option.json.details).toMatchObject({ field: 'options.codecs', suggestion: 'options.codec' });
  });

  it('refuses them in every query, billing included', async () => {
    for (const path of ['/api/billing/records?limt=5', '/api/billing/report?grupBy=model', '/api/billing/budgets?x=1', '/api/stream/active?x=1', `/api/stream/str_abc/metrics?perod=1m`]) {
      const res = await fetchJson(`${t.url}${path}`, { key: t.keys.t1 });
      expect(res.status, path).toBe(400);
      expect(res.json.error.message, path).toMatch(/unknown field/);
    }
    const records = await fetchJson(`${t.url}/api/billing/records?limt=5`, { key: t.keys.t1 });
    expect(records.json.details.suggestion).toBe('limit');
  });
});

describe('error messages say what was received and what is allowed', () => {
  it('lists the allowed codecs and the real maximum', async () => {
    const codec = await post({ messages: hello, options: { codec: 'brotli' } });
    expect(codec.json.error.message).toContain('"identity", "gzip", "deflate", "auto"');
    expect(codec.json.details).toMatchObject({ field: 'options.codec', received: '"brotli"' });
    const big = await post({ messages: hello, maxTokens: 1e308 });
    expect(big.json.error.message).toContain('at most 1000000');
    expect(big.json.error.message).not.toContain('9007199254740991');
  });

  it('truncates and escapes what it quotes', async () => {
    const res = await post({ messages: hello, provider: `\u0007${'p'.repeat(500)}` });
    expect(res.status).toBe(400);
    expect(res.json.details.received.length).toBeLessThanOrEqual(60);
    expect(res.json.details.received).toContain('\\u0007');
  });
});

describe('one error shape for every status', () => {
  it('401, 404, 405 and 413 carry code, message and details; 405 has its own code', async () => {
    const unauthorized = await fetchJson(`${t.url}/api/stream/active`);
    expect(unauthorized.status).toBe(401);
    expectErrorShape(unauthorized.json, 'unauthorized');
    const method = await fetchJson(`${t.url}/api/stream/active`, { method: 'POST', key: t.keys.t1 });
    expect(method.status).toBe(405);
    expectErrorShape(method.json, 'method_not_allowed');
    expect(method.headers.get('allow')).toBe('GET');
    const healthMethod = await fetchJson(`${t.url}/health`, { method: 'DELETE' });
    expect(healthMethod.status).toBe(405);
    expectErrorShape(healthMethod.json, 'method_not_allowed');
    const tooLarge = await post('{"messages":"' + 'x'.repeat(2 * 1024 * 1024) + '"}');
    expect(tooLarge.status).toBe(413);
    expectErrorShape(tooLarge.json, 'payload_too_large');
    const missing = await fetchJson(`${t.url}/api/stream/str_nope/metrics`, { key: t.keys.t1 });
    expect(missing.status).toBe(404);
    expectErrorShape(missing.json, 'not_found');
  });

  it('answers a request Node cannot parse with the JSON shape too', async () => {
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(t.url).port), '127.0.0.1', () => {
        // Both Content-Length and Transfer-Encoding: a request-smuggling shape Node refuses.
        socket.write('POST /api/stream HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n');
      });
      let text = '';
      socket.on('data', (d) => (text += d.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    const body = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4));
    expectErrorShape(body, 'invalid_request');
  });
});
