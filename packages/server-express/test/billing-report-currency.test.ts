import { beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../src/index';
import { billLines, insertRecords, type RecordSpec } from './billing-fixtures';
import { fetchJson } from './read-sse';
import { useTestServer } from './test-server';

const t = useTestServer();
let key: string;

// Two records billed this month (the route's default period), one per currency.
const spec = (tenantId: string, id: string, currency: string, total: string): RecordSpec => {
  const endedAt = new Date();
  return {
    streamId: `${tenantId}-${id}`,
    tenantId,
    provider: 'simulated',
    model: 'sim-1',
    currency,
    startedAt: new Date(endedAt.getTime() - 1_000),
    end: { endReason: 'complete', endedAt, usageEstimated: false, usageMissing: false, durationMs: 1_000, bytes: 10, inputTokens: 3, outputTokens: 4, lines: billLines({ total, taxes: ['0.01'] }) },
  };
};

beforeAll(async () => {
  const tenantId = `currencies-${Math.random().toString(36).slice(2, 8)}`;
  key = (await createApiKey(t.store, { tenantId })).key;
  await insertRecords(t.store, [spec(tenantId, 'usd', 'USD', '0.1'), spec(tenantId, 'eur', 'EUR', '0.2')]);
});

describe('GET /api/billing/report currency', () => {
  it('answers 400 naming `currency` (and listing them) when the records are in several currencies and none is asked for', async () => {
    const r = await fetchJson(`${t.url}/api/billing/report`, { key });
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe('invalid_request');
    expect(r.json.details).toMatchObject({ field: 'currency', currencies: ['EUR', 'USD'] });
    expect(r.json.error.message).toMatch(/EUR, USD/);
  });

  it('reports only the records in the currency asked for', async () => {
    const eur = await fetchJson(`${t.url}/api/billing/report?currency=EUR&groupBy=provider`, { key });
    expect(eur.status).toBe(200);
    expect(eur.json.currency).toBe('EUR');
    expect(eur.json.totals).toMatchObject({ count: 1, inputTokens: 3, usageEstimated: 0, usageMissing: 0, cost: { total: '0.2', taxes: '0.01' } });
    expect(eur.json.groups).toEqual([expect.objectContaining({ key: { provider: 'simulated' }, count: 1 })]);
    const usd = await fetchJson(`${t.url}/api/billing/report?currency=USD`, { key });
    expect(usd.json.totals.cost.total).toBe('0.1');
  });

  it('validates `currency`: a 3-letter upper-case code, else 400 naming it', async () => {
    for (const bad of ['eur', 'EURO', 'E1R']) {
      const r = await fetchJson(`${t.url}/api/billing/report?currency=${bad}`, { key });
      expect(r.status).toBe(400);
      expect(r.json.details.field).toBe('currency');
    }
  });

  it('documents the `currency` query parameter in the OpenAPI document', async () => {
    const doc = await fetchJson(`${t.url}/openapi.json`);
    const params = doc.json.paths['/api/billing/report'].get.parameters as Array<{ name: string; required: boolean; schema: { pattern?: string } }>;
    expect(params.find((p) => p.name === 'currency')).toMatchObject({ required: false, schema: { pattern: '^[A-Z]{3}$' } });
  });
});
