import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSimulatedProvider, sumDecimals, type Provider } from '@twin/core';
import type { OpenedDatabase } from '../src/index';
import { fetchJson, openSSE } from './read-sse';
import { openTestDatabase, startTestServer, type TestServer } from './test-server';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI === 'true') throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH).`);
const havePdftotext = existsSync('/usr/bin/pdftotext');

/** A simulated provider under a real provider's name, counting the calls that reach it. */
function counted(name: string, defaultModel: string): Provider & { calls: number } {
  const inner = createSimulatedProvider({ name, defaultModel, tokensPerSecond: 2_000, outputTokens: 30, cachedInputTokens: 4 });
  const p = { ...inner, calls: 0 } as Provider & { calls: number };
  p.stream = (request, options) => {
    p.calls++;
    return inner.stream(request, options);
  };
  return p;
}

let db: OpenedDatabase;
let t: TestServer;
let openai: Provider & { calls: number };
let anthropic: Provider & { calls: number };
const auth = () => ({ authorization: `Bearer ${t.keys.t1}` });

beforeAll(async () => {
  db = await openTestDatabase();
  openai = counted('openai', 'gpt-4o');
  anthropic = counted('anthropic', 'claude-sonnet-4-5-20250929');
  t = await startTestServer(db, { providers: [openai, anthropic] });
});
afterAll(async () => {
  await t.close();
  await db.close();
});

async function stream(provider: string, model: string) {
  const r = await openSSE(`${t.url}/api/stream?provider=${provider}&model=${encodeURIComponent(model)}&prompt=price+me`, { headers: auth() });
  await r.done;
  return r;
}

describe('no silent zero', () => {
  it('refuses an unpriced model with 422 naming provider and model, before any provider call', async () => {
    const before = openai.calls;
    const r = await fetchJson(`${t.url}/api/stream?provider=openai&model=gpt-99-imaginary&prompt=hi`, { key: t.keys.t1, headers: { accept: 'text/event-stream' } });
    expect(r.status).toBe(422);
    expect(r.json.error.code).toBe('model_unpriced');
    expect(r.json.error.message).toContain('openai/gpt-99-imaginary');
    expect(openai.calls).toBe(before);
    expect(await (await fetch(`${t.url}/metrics`)).text()).toMatch(/twin_unpriced_rejected_total\{provider="openai"\} 1/);
  });

  it('bills a current model at the catalogue price, the record naming the catalogue table', async () => {
    const r = await stream('openai', 'gpt-4o-2024-08-06');
    const complete = r.events.at(-1)!.json as { usage: { inputTokens: number; cacheReadTokens: number; outputTokens: number }; cost: { lines: Record<string, string> } };
    const { inputTokens, cacheReadTokens, outputTokens } = complete.usage;
    // gpt-4o per 1M: $2.50 input, $1.25 cached input, $10 output = 250 / 125 / 1,000 × 10^-8 $ per token,
    // rounded half-up to 10^-6 $.
    const units = BigInt(inputTokens - cacheReadTokens) * 250n + BigInt(cacheReadTokens) * 125n + BigInt(outputTokens) * 1_000n;
    const micro = (units + 50n) / 100n;
    expect(complete.cost.lines.tokenCost).toBe(`${micro / 1_000_000n}.${String(micro % 1_000_000n).padStart(6, '0')}`);
    await t.store.flush();
    const records = (await fetchJson(`${t.url}/api/billing/records?state=final&model=gpt-4o-2024-08-06`, { key: t.keys.t1 })).json.records;
    expect(records[0].pricingConfigId).toBe('catalogue:openai/gpt-4o@1970-01-01');
  });
});

describe('TWIN_UNPRICED_MODELS=allow', () => {
  let allow: TestServer;
  beforeAll(async () => {
    allow = await startTestServer(db, { providers: [counted('openai', 'gpt-4o')], service: { unpricedModels: 'allow' } });
  });
  afterAll(async () => {
    await allow.close();
  });

  it('serves the stream and flags it unpriced in the receipt, the record, the report and the metrics', async () => {
    const r = await openSSE(`${allow.url}/api/stream?provider=openai&model=gpt-99-imaginary&prompt=hi`, { headers: { authorization: `Bearer ${allow.keys.t1}` } });
    await r.done;
    const complete = r.events.at(-1)!.json as { cost: { unpriced?: boolean } };
    expect(complete.cost.unpriced).toBe(true);
    await allow.store.flush();
    const records = (await fetchJson(`${allow.url}/api/billing/records?state=final`, { key: allow.keys.t1 })).json.records;
    expect(records[0]).toMatchObject({ model: 'gpt-99-imaginary', unpriced: true, pricingConfigId: 'unpriced:openai/gpt-99-imaginary' });
    expect((await fetchJson(`${allow.url}/api/billing/report`, { key: allow.keys.t1 })).json.totals.unpriced).toBe(1);
    expect(await (await fetch(`${allow.url}/metrics`)).text()).toMatch(/twin_unpriced_streams_total\{provider="openai"\} 1/);
  });

  it('never counts unpriced usage as free: a blocking budget refuses it (402)', async () => {
    const put = await fetchJson(`${allow.url}/api/billing/budgets`, { method: 'PUT', key: allow.keys.t1, body: { period: 'month', limit: '1000', action: 'block' } });
    expect(put.status).toBe(200);
    const r = await fetchJson(`${allow.url}/api/stream?provider=openai&model=gpt-99-imaginary&prompt=hi`, { key: allow.keys.t1, headers: { accept: 'text/event-stream' } });
    expect(r.status).toBe(402);
    expect(r.json.details.reason).toBe('unpriced');
  });
});

describe('invoices for a tenant with a billing profile', () => {
  let invoice: { number: string; currency: string; recordCount: number; totals: Record<string, string>; taxes: { name: string; amount: string }[] };
  let records: { lines: { total: string }; currency: string; exchangeRate?: { rate: string } }[];
  let from: string;

  beforeAll(async () => {
    const profile = {
      currency: 'EUR',
      exchangeRate: '0.9215',
      jurisdiction: 'DE',
      name: 'ACME GmbH',
      address: ['Invalidenstraße 1', '10115 Berlin'],
      taxes: [{ jurisdiction: 'DE', name: 'USt', ratePercent: '19' }],
      volumeDiscount: { mode: 'volume', tiers: [{ thresholdTokens: 0, ratePercent: '5' }] },
    };
    expect((await fetchJson(`${t.url}/api/billing/profile`, { method: 'PUT', key: t.keys.t1, body: profile })).status).toBe(403);
    const bad = await fetchJson(`${t.url}/api/billing/profile`, { method: 'PUT', key: t.keys.admin, body: { ...profile, currency: 'euro' } });
    expect(bad.status, JSON.stringify(bad.json)).toBe(400);
    expect(bad.json.details.field).toBe('currency');
    expect((await fetchJson(`${t.url}/api/billing/profile`, { method: 'PUT', key: t.keys.admin, body: profile })).status).toBe(200);
    from = new Date().toISOString();
    for (const [p, m] of [['openai', 'gpt-5-mini'], ['anthropic', 'claude-haiku-4-5'], ['anthropic', 'claude-sonnet-4-5-20250929'], ['openai', 'o4-mini']] as const) await stream(p, m);
    // Every stream ended, then every bill written: conditions, not delays.
    await vi.waitFor(() => expect(t.service.hub.activeStreams).toBe(0), { timeout: 60_000, interval: 10 });
    await t.store.flush();
    // The period ends strictly after the last record's millisecond (a delay can only make it later).
    await new Promise((r) => setTimeout(r, 5));
    const to = new Date().toISOString();
    const issued = await fetchJson(`${t.url}/api/billing/invoices`, { method: 'POST', key: t.keys.admin, body: { period: { from, to } } });
    expect(issued.status).toBe(201);
    invoice = issued.json.invoice;
    records = (await fetchJson(`${t.url}/api/billing/records?state=final&from=${from}`, { key: t.keys.t1 })).json.records;
  });

  it('aggregates exactly the period’s records, in the profile’s currency with its taxes', () => {
    expect(invoice.recordCount).toBe(4);
    expect(records).toHaveLength(4);
    expect(records.every((r) => r.currency === 'EUR' && r.exchangeRate?.rate === '0.9215')).toBe(true);
    expect(invoice.currency).toBe('EUR');
    expect(invoice.totals.total).toBe(sumDecimals(records.map((r) => r.lines.total)));
    expect(invoice.taxes.map((x) => x.name)).toEqual(['USt']);
    expect(invoice.totals.amountDue).toMatch(/^\d+\.\d{2}$/);
  });

  it('is immutable: issuing the period again is a 409 until a credit note cancels it', async () => {
    const again = await fetchJson(`${t.url}/api/billing/invoices`, { method: 'POST', key: t.keys.admin, body: { period: { from, to: invoice.totals && (await fetchJson(`${t.url}/api/billing/invoices/${invoice.number}`, { key: t.keys.t1 })).json.invoice.period.to } } });
    expect(again.status).toBe(409);
    const note = await fetchJson(`${t.url}/api/billing/invoices/${invoice.number}/credit-note`, { method: 'POST', key: t.keys.admin, body: { reason: 'test correction' } });
    expect(note.status).toBe(201);
    expect(note.json.invoice.refersTo).toBe(invoice.number);
    expect(note.json.invoice.totals.total).toBe(`-${invoice.totals.total}`);
    // Members read their own invoices, never another tenant's.
    expect((await fetchJson(`${t.url}/api/billing/invoices/${invoice.number}`, { key: t.keys.t2 })).status).toBe(404);
  });

  it('serves CSV with the same totals', async () => {
    const csv = await (await fetch(`${t.url}/api/billing/invoices/${invoice.number}?format=csv`, { headers: auth() })).text();
    expect(csv).toContain(`total,,,total,,,${invoice.totals.total},EUR\r\n`);
  });

  it.runIf(haveChromium)('renders a printable page in real Chromium whose printed PDF carries the totals', async () => {
    const html = await (await fetch(`${t.url}/api/billing/invoices/${invoice.number}?format=html`, { headers: auth() })).text();
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 900, height: 1200 } });
      await page.setContent(html);
      expect(await page.locator('[data-total="amountDue"]').textContent()).toBe(invoice.totals.amountDue);
      expect(await page.locator('[data-total="total"]').textContent()).toBe(invoice.totals.total);
      const out = mkdtempSync(join(tmpdir(), 'twin-invoice-'));
      await page.screenshot({ path: join(out, 'invoice.png'), fullPage: true });
      const pdf = await page.pdf({ format: 'A4', printBackground: true });
      writeFileSync(join(out, 'invoice.pdf'), pdf);
      console.info(`[invoice] screenshot and PDF in ${out}`);
      if (havePdftotext) {
        const text = execFileSync('pdftotext', ['-layout', join(out, 'invoice.pdf'), '-'], { encoding: 'utf8' });
        expect(text).toContain(invoice.number);
        expect(text).toMatch(new RegExp(`Amount due\\s+${invoice.totals.amountDue!.replace('.', '\\.')}\\s+EUR`));
        expect(text).toContain(invoice.totals.total);
        expect(text).toContain('ACME GmbH');
      }
    } finally {
      await browser.close();
    }
  });
});
