import { testBillingConfig } from '@twin/core/testing';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { fetchJson, openSSE } from './read-sse';
import { useTestServer } from './test-server';

const t = useTestServer();
beforeAll(async () => {
  for (let i = 0; i < 3; i++) {
    const r = await openSSE(`${t.url}/api/stream?prompt=report+${i}&purpose=${i % 2 ? 'chat' : 'summarise'}`, { headers: { authorization: `Bearer ${t.keys.t1}` } });
    await r.done;
  }
  await vi.waitFor(() => expect(t.service.hub.activeStreams).toBe(0), { timeout: 60_000, interval: 20 });
  await t.store.flush();
});

describe('billing routes', () => {
  it('reports totals and groups whose money sums exactly to the records', async () => {
    const records = (await fetchJson(`${t.url}/api/billing/records?state=final`, { key: t.keys.t1 })).json.records as Array<{ lines: { total: string } }>;
    expect(records).toHaveLength(3);
    const rep = await fetchJson(`${t.url}/api/billing/report?groupBy=purpose,provider`, { key: t.keys.t1 });
    expect(rep.status).toBe(200);
    expect(rep.json.totals.count).toBe(3);
    // Exact decimal addition of the record totals (scaled integers) equals the report's numeric sum.
    const scale = 10n ** 12n;
    const toUnits = (s: string) => {
      const [i, f = ''] = s.split('.');
      return BigInt(i!) * scale + BigInt((f + '0'.repeat(12)).slice(0, 12));
    };
    const sum = records.reduce((a, r) => a + toUnits(r.lines.total), 0n);
    expect(toUnits(rep.json.totals.cost.total)).toBe(sum);
    expect(rep.json.groups.map((g: { key: { purpose: string } }) => g.key.purpose).sort()).toEqual(['chat', 'summarise']);
    expect(rep.json.projection.total).toMatch(/^\d+\.\d+$/);
  });

  it('lets admins change pricing, not members (403), and applies it to new streams', async () => {
    const config = testBillingConfig({
      provider: 'simulated',
      model: 'sim-1',
      effectiveFrom: '2025-01-01',
      rounding: { mode: 'half-up', minorUnits: 2 },
      tokens: { inputPer1K: '1', outputPer1K: '2' },
    });
    expect((await fetchJson(`${t.url}/api/billing/configs`, { method: 'PUT', key: t.keys.t1, body: config })).status).toBe(403);
    const put = await fetchJson(`${t.url}/api/billing/configs`, { method: 'PUT', key: t.keys.admin, body: config });
    expect(put.status).toBe(200);
    const bad = await fetchJson(`${t.url}/api/billing/configs`, { method: 'PUT', key: t.keys.admin, body: { ...config, tokens: { inputPer1K: 0.1, outputPer1K: '1' } } });
    expect(bad.status).toBe(400);
    expect(bad.json.details.field).toBe('tokens.inputPer1K');
    const r = await openSSE(`${t.url}/api/stream?prompt=priced`, { headers: { authorization: `Bearer ${t.keys.t1}` } });
    await r.done;
    const complete = r.events.at(-1)!.json as { usage: { inputTokens: number; outputTokens: number }; cost: { total: string } };
    const { inputTokens, outputTokens } = complete.usage;
    // 1 per 1K input + 2 per 1K output, rounded half-up to cents.
    const expectedMillis = inputTokens * 1 + outputTokens * 2; // in thousandths of a dollar
    const cents = Math.floor(expectedMillis / 10) + (expectedMillis % 10 >= 5 ? 1 : 0);
    expect(complete.cost.total).toBe((cents / 100).toFixed(2));
    const configs = await fetchJson(`${t.url}/api/billing/configs`, { key: t.keys.t1 });
    expect(configs.json.configs[0].model).toBe('sim-1');
  });

  it('stores budgets, raises alerts as spend crosses thresholds, and blocks new streams (402) when a blocking budget is used up', async () => {
    const put = await fetchJson(`${t.url}/api/billing/budgets`, { method: 'PUT', key: t.keys.t1, body: { period: 'month', limit: '0.000001', action: 'block', alertAtPercent: [50, 100] } });
    expect(put.status).toBe(200);
    const list = await fetchJson(`${t.url}/api/billing/budgets`, { key: t.keys.t1 });
    expect(list.json.budgets[0].limit).toBe('0.000001');
    const blocked = await fetchJson(`${t.url}/api/stream?prompt=over+budget`, { key: t.keys.t1 });
    expect(blocked.status).toBe(402);
    expect(blocked.json.error.code).toBe('budget_exceeded');
    const alerts = await fetchJson(`${t.url}/api/billing/alerts`, { key: t.keys.t1 });
    expect(alerts.json.alerts.map((a: { kind: string }) => a.kind).sort()).toEqual(['budget.month.100', 'budget.month.50']);
    // The other tenant is not affected.
    const other = await openSSE(`${t.url}/api/stream?prompt=fine`, { headers: { authorization: `Bearer ${t.keys.t2}` } });
    expect(other.status).toBe(200);
    await other.done;
  });
});

describe('monitoring', () => {
  it('serves /health, Prometheus /metrics and stats with latency percentiles', async () => {
    const health = await fetchJson(`${t.url}/health`);
    expect(health.status).toBe(200);
    expect(health.json.database).toBe('ok');
    const metrics = await fetch(`${t.url}/metrics`);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await metrics.text();
    expect(text).toMatch(/^twin_streams_started_total\{provider="simulated"\} \d+$/m);
    expect(text).toMatch(/^twin_time_to_first_token_seconds_bucket\{le="0.01"\} \d+$/m);
    const stats = await fetchJson(`${t.url}/api/stream/stats`, { key: t.keys.admin });
    expect(stats.json.tenant.finished).toBeGreaterThanOrEqual(3);
    expect(stats.json.tenant.completionRate).toBeGreaterThan(0);
    expect(typeof stats.json.tenant.latency.p99).toBe('number');
    expect(stats.json.server.finished).toBeGreaterThanOrEqual(stats.json.tenant.finished);
    const member = await fetchJson(`${t.url}/api/stream/stats`, { key: t.keys.t2 });
    expect(member.json.server).toBeUndefined();
  });

  it('publishes an OpenAPI 3.1 document generated from the zod schemas', async () => {
    const doc = await fetchJson(`${t.url}/openapi.json`);
    expect(doc.json.openapi).toBe('3.1.0');
    expect(Object.keys(doc.json.paths)).toEqual(expect.arrayContaining(['/api/stream', '/api/stream/{id}/metrics', '/api/billing/report', '/health', '/metrics']));
    expect(doc.json.components.schemas.StreamRequest.properties.messages.minItems).toBe(1);
    const params = doc.json.paths['/api/stream'].get.parameters.map((p: { name: string }) => p.name);
    expect(params).toEqual(expect.arrayContaining(['prompt', 'streamId', 'Last-Event-ID']));
  });
});
