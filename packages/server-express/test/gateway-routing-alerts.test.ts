import { createSimulatedProvider } from '@twin/core';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseRoutingConfig, tables, type OpenedDatabase } from '../src/index';
import { verifyWebhookSignature } from '../src/alerts/webhook-signature';
import { startFakeOpenAIUpstream } from './fake-openai-upstream';
import { openPostgresTestDatabase, postgresReachable } from './postgres-test-database';
import { fetchJson, openSSE } from './read-sse';
import { openTestDatabase, startTestServer, type TestServer } from './test-server';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver';

const pgUp = await postgresReachable();
if (!pgUp && process.env.CI === 'true') throw new Error('Postgres is required under CI=true (127.0.0.1:5432).');

describe.each([
  ['PGlite', openTestDatabase],
  ['Postgres', openPostgresTestDatabase],
] as const)('routing and alerts on %s', (name, open) => {
  let db: OpenedDatabase;
  let t: TestServer;
  const upstreams: Array<Awaited<ReturnType<typeof startFakeOpenAIUpstream>>> = [];
  let receiver: WebhookReceiver;
  // Webhook retries wait on these timers; the test fires them.
  const timers: Array<{ fn: () => void; ms: number }> = [];
  // The routing's clock and sleeps (first-token limit): a first-token wait ends when the test fires
  // it, never on the real clock, so a loaded machine can neither trip the limit early nor make the
  // test wait real seconds. The clock moves only when a fired wait says the limit has passed.
  let clock = 0;
  const waits = new Set<{ ms: number; fire: () => void }>();
  const routingEnv = {
    now: () => clock,
    sleep: (ms: number, signal?: AbortSignal) =>
      new Promise<void>((resolve) => {
        if (signal?.aborted) return resolve();
        const wait = {
          ms,
          fire: () => {
            waits.delete(wait);
            resolve();
          },
        };
        waits.add(wait);
        signal?.addEventListener('abort', wait.fire, { once: true });
      }),
  };

  beforeAll(async () => {
    if (name === 'Postgres' && !pgUp) return;
    db = await open();
    const [good, e500, e429, hang] = await Promise.all([
      startFakeOpenAIUpstream({ kind: 'ok', text: 'served by the backup upstream' }),
      startFakeOpenAIUpstream({ kind: 'status', status: 500 }),
      startFakeOpenAIUpstream({ kind: 'status', status: 429, retryAfter: 30 }),
      startFakeOpenAIUpstream({ kind: 'hang' }),
    ]);
    upstreams.push(good!, e500!, e429!, hang!);
    receiver = await startWebhookReceiver([500, 503]);
    const upstream = (baseURL: string) => ({ type: 'openai', baseURL, apiKeyEnv: 'UPSTREAM_KEY' });
    const routing = parseRoutingConfig({
      providers: { good: upstream(good!.baseURL), e500: upstream(e500!.baseURL), e429: upstream(e429!.baseURL), hang: upstream(hang!.baseURL) },
      defaults: { circuitBreaker: { failureThreshold: 1, resetTimeoutMs: 60_000 } },
      models: {
        'after-500': ['e500/gpt-x', 'good/backup-1'],
        'after-429': ['e429/gpt-x', 'good/backup-1'],
        // The limit applies to the backup too; on the test's clock it passes only for the hung provider.
        'after-timeout': { fallback: ['hang/gpt-x', 'good/backup-1'], firstTokenTimeoutMs: 5_000 },
      },
      alerts: { webhooks: [{ url: receiver.url, secretEnv: 'HOOK_SECRET' }] },
    });
    t = await startTestServer(db, {
      providers: [createSimulatedProvider({ tokensPerSecond: 0 })],
      service: {
        routing,
        // The fake upstreams' models (gpt-x, backup-1 on made-up providers) have no price: allowed, flagged.
        unpricedModels: 'allow',
        secrets: { UPSTREAM_KEY: 'sk-upstream', HOOK_SECRET: 'whsec_test' },
        alertChecks: false,
        routingEnv,
        alertEnv: { schedule: (fn, ms) => (timers.push({ fn, ms }), () => undefined) },
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await db?.close();
    for (const u of upstreams) u.close();
    receiver?.close();
  });
  const run = name === 'Postgres' && !pgUp ? it.skip : it;

  run.each([
    ['after-500', 'e500', 'provider_unavailable'],
    ['after-429', 'e429', 'provider_rate_limited'],
    ['after-timeout', 'hang', 'provider_timeout'],
  ])('serves %s from the next provider of the chain; the bill names the provider that served, the events the one skipped', async (alias, skipped, code) => {
    const hang = upstreams[3]!;
    const hangRequests = hang.requests;
    const opening = openSSE(`${t.url}/api/stream`, { headers: { authorization: `Bearer ${t.keys.t1}` }, body: { model: alias, messages: [{ role: 'user', content: 'hi' }] } });
    if (alias === 'after-timeout') {
      // The hung upstream has the request; every pending wait is its first-token limit (the backup
      // is not asked before the limit passes). The limit passes: fire them.
      await vi.waitFor(() => {
        expect(hang.requests).toBe(hangRequests + 1);
        expect(waits.size).toBeGreaterThan(0);
      });
      expect([...waits].every((w) => w.ms === 5_000)).toBe(true);
      clock += 5_000;
      for (const w of [...waits]) w.fire();
    }
    const r = await opening;
    await r.done;
    // The backup's own limit never passed: its wait was cancelled once its first token came.
    expect(waits.size).toBe(0);
    expect(r.status).toBe(200);
    expect(r.events.at(-1)!.event).toBe('complete');
    expect(r.events.filter((e) => e.event === 'chunk').map((e) => (e.json as { text?: string }).text ?? '').join('')).toBe('served by the backup upstream');
    const streamId = r.headers['x-twin-stream-id'] as string;
    await t.store.flush();
    const tenantId = (await t.service.auth.authenticate({ headers: { authorization: `Bearer ${t.keys.t1}` } } as never, new URL('http://x'))).tenantId;
    const record = await t.store.getBillingRecord(tenantId, streamId);
    // The model is the one the upstream reported serving.
    expect(record).toMatchObject({ provider: 'good', model: 'up-1', state: 'final', inputTokens: 9 });
    const events = await t.store.db.select().from(tables.streamEvents).where(and(eq(tables.streamEvents.streamId, streamId), eq(tables.streamEvents.type, 'provider.attempt')));
    expect(events.map((e) => e.data).sort((a, b) => String(a!.outcome).localeCompare(String(b!.outcome)))).toEqual([
      { provider: 'good', model: 'backup-1', outcome: 'served' },
      { provider: skipped, model: 'gpt-x', outcome: 'skipped', error: { code, message: expect.any(String) } },
    ]);
    // The same, over HTTP, for the stream's owner only.
    const listed = await fetchJson(`${t.url}/api/stream/${streamId}/events`, { key: t.keys.t1 });
    expect(listed.json.events.filter((e: { type: string }) => e.type === 'provider.attempt').map((e: { data: { outcome: string } }) => e.data.outcome)).toEqual(['skipped', 'served']);
    expect((await fetchJson(`${t.url}/api/stream/${streamId}/events`, { key: t.keys.t2 })).status).toBe(404);
  });

  run('skips a provider whose circuit opened without calling it again', async () => {
    const e500 = upstreams[1]!;
    const before = e500.requests;
    const r = await openSSE(`${t.url}/api/stream`, { headers: { authorization: `Bearer ${t.keys.t1}` }, body: { model: 'after-500', messages: [{ role: 'user', content: 'again' }] } });
    await r.done;
    expect(r.events.at(-1)!.event).toBe('complete');
    expect(e500.requests).toBe(before);
    expect((await fetchJson(`${t.url}/api/admin/routing`, { key: t.keys.admin })).json.circuits).toMatchObject({ e500: 'open', good: 'closed' });
  });

  run('delivers an alert to a webhook that fails the first tries exactly once, signed, retried with backoff, logged', async () => {
    const sent = await fetchJson(`${t.url}/api/admin/alerts/test`, { method: 'POST', key: t.keys.admin });
    expect(sent.status).toBe(201);
    expect(sent.json.deliveries).toMatchObject([{ status: 'pending', attempts: 1 }]);
    expect(timers.map((x) => x.ms)).toEqual([1_000]);
    timers.shift()!.fn();
    await t.service.alerts.dispatcher.idle();
    expect(timers.map((x) => x.ms)).toEqual([2_000]);
    timers.shift()!.fn();
    await t.service.alerts.dispatcher.idle();
    expect(timers).toHaveLength(0);

    expect(receiver.received).toHaveLength(3);
    const deliveryIds = new Set(receiver.received.map((r) => r.headers['twin-delivery-id']));
    expect(deliveryIds.size).toBe(1);
    for (const r of receiver.received) expect(verifyWebhookSignature('whsec_test', r.headers['twin-signature'] as string, r.body)).toBe(true);
    expect(JSON.parse(receiver.received[2]!.body)).toMatchObject({ type: 'alert', alert: { id: sent.json.alert.id, kind: 'test' } });

    const log = await fetchJson(`${t.url}/api/admin/webhooks/deliveries`, { key: t.keys.admin });
    expect(log.json.deliveries[0]).toMatchObject({ id: [...deliveryIds][0], alertId: sent.json.alert.id, status: 'delivered', attempts: 3, lastStatus: 200, url: receiver.url });
    expect((await fetchJson(`${t.url}/api/admin/webhooks/deliveries`, { key: t.keys.t1 })).status).toBe(403);
    // `tenant=` keeps one tenant's alerts (the test alert is the admin's tenant's), `*` the server's.
    const adminTenant = (await fetchJson(`${t.url}/api/admin/whoami`, { key: t.keys.admin })).json.tenantId as string;
    const mine = await fetchJson(`${t.url}/api/admin/webhooks/deliveries?tenant=${adminTenant}`, { key: t.keys.admin });
    expect(mine.json.deliveries.map((d: { id: string }) => d.id)).toEqual([[...deliveryIds][0]]);
    expect((await fetchJson(`${t.url}/api/admin/webhooks/deliveries?tenant=someone-else`, { key: t.keys.admin })).json.deliveries).toEqual([]);
    expect((await fetchJson(`${t.url}/api/admin/webhooks/deliveries?tenant=*`, { key: t.keys.admin })).json.deliveries).toEqual([]);
    const bad = await fetchJson(`${t.url}/api/admin/webhooks/deliveries?tenant=${encodeURIComponent('a b')}`, { key: t.keys.admin });
    expect(bad.status).toBe(400);
    expect(bad.json.error.details.field).toBe('tenant');
  });
});
