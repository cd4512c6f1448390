import { testBillingConfig } from '@twin/core/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApiKey, type OpenedDatabase } from '../src/index';
import { fetchJson, openSSE } from './read-sse';
import { openTestDatabase, startTestServer, type TestServer } from './test-server';

// Output tokens cost $0.001 each and nothing else costs anything: a stream's cost is a function of
// the text it sent, never of the clock.
const PRICING = testBillingConfig({
  id: 'budget-scopes/sim-1',
  provider: 'simulated',
  model: 'sim-1',
  effectiveFrom: '2025-01-01T00:00:00Z',
  tokens: { inputPer1K: '0', outputPer1K: '1' },
});

let db: OpenedDatabase;
let t: TestServer;
const tenant = `scopes-${Math.random().toString(36).slice(2, 8)}`;
let admin: { id: string; key: string };
let member: { id: string; key: string };
let other: { id: string; key: string };

beforeAll(async () => {
  db = await openTestDatabase();
  t = await startTestServer(db, { simulated: { tokensPerSecond: Infinity, outputTokens: 200 }, service: { pricing: [PRICING] } });
  [admin, member, other] = await Promise.all([
    createApiKey(t.store, { tenantId: tenant, role: 'tenant-admin' }),
    createApiKey(t.store, { tenantId: tenant }),
    createApiKey(t.store, { tenantId: tenant }),
  ]);
});
afterAll(async () => {
  await t.close();
  await db.close();
});

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

async function settle(): Promise<void> {
  await vi.waitFor(() => expect(t.service.hub.activeStreams).toBe(0), { timeout: 60_000, interval: 20 });
  await t.store.flush();
}

describe('the end user of a request', () => {
  it('travels from every door to the billing record and the report (groupBy=user)', async () => {
    const post = await openSSE(`${t.url}/api/stream`, { method: 'POST', headers: bearer(member.key), body: { messages: [{ role: 'user', content: 'hi' }], user: 'alice' } });
    await post.done;
    const get = await openSSE(`${t.url}/api/stream?prompt=hi&user=bob`, { headers: bearer(member.key) });
    await get.done;
    const openai = await fetchJson(`${t.url}/v1/chat/completions`, { method: 'POST', key: member.key, body: { model: 'simulated/sim-1', messages: [{ role: 'user', content: 'hi' }], user: 'carol' } });
    expect(openai.status).toBe(200);
    const anthropic = await fetchJson(`${t.url}/v1/messages`, {
      method: 'POST',
      key: member.key,
      body: { model: 'simulated/sim-1', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }], metadata: { user_id: 'dave' } },
    });
    expect(anthropic.status).toBe(200);
    const chat = await openSSE(`${t.url}/api/chat`, { method: 'POST', headers: bearer(member.key), body: { id: 'c1', messages: [{ id: 'm1', role: 'user', parts: [{ type: 'text', text: 'hi' }] }], user: 'erin' } });
    await chat.done;
    await settle();
    const records = (await fetchJson(`${t.url}/api/billing/records?state=final`, { key: member.key })).json.records as Array<{ userId?: string }>;
    expect(records.map((r) => r.userId).sort()).toEqual(['alice', 'bob', 'carol', 'dave', 'erin']);
    const report = await fetchJson(`${t.url}/api/billing/report?groupBy=user`, { key: member.key });
    expect(report.json.groups.map((g: { key: { user: string } }) => g.key.user)).toEqual(['alice', 'bob', 'carol', 'dave', 'erin']);
  });

  it('has a declared character set: anything else is a 400 naming the field, on every door', async () => {
    const post = await fetchJson(`${t.url}/api/stream`, { method: 'POST', key: member.key, body: { messages: [{ role: 'user', content: 'hi' }], user: 'has space' } });
    expect(post.status).toBe(400);
    expect(post.json.error.details.field).toBe('user');
    const get = await fetchJson(`${t.url}/api/stream?prompt=hi&user=${'x'.repeat(129)}`, { key: member.key });
    expect(get.status).toBe(400);
    expect(get.json.error.details.field).toBe('user');
    const openai = await fetchJson(`${t.url}/v1/chat/completions`, { method: 'POST', key: member.key, body: { model: 'simulated/sim-1', messages: [{ role: 'user', content: 'hi' }], user: 'a\nb' } });
    expect(openai.status).toBe(400);
    expect(JSON.stringify(openai.json)).toContain('user');
  });
});

describe('budgets per API key and per end user', () => {
  it('refuses a scoped budget from a member key (it could lift its own limit) and a key of another tenant', async () => {
    const byMember = await fetchJson(`${t.url}/api/billing/budgets`, { method: 'PUT', key: member.key, body: { scope: { type: 'apiKey', id: member.id }, period: 'month', limit: '100' } });
    expect(byMember.status).toBe(403);
    const foreign = await fetchJson(`${t.url}/api/billing/budgets`, { method: 'PUT', key: admin.key, body: { scope: { type: 'apiKey', id: 'key_nothere' }, period: 'month', limit: '1' } });
    expect(foreign.status).toBe(404);
    expect(foreign.json.error.details.field).toBe('scope.id');
  });

  it("stops an end user's running stream at its blocking budget (budget_stop), alerts mid-stream, then refuses that user (402 naming the budget) and no one else", async () => {
    // 200 words of output at $0.001 a token cost well over $0.02: the stream must stop on the way.
    const put = await fetchJson(`${t.url}/api/billing/budgets`, {
      method: 'PUT',
      key: admin.key,
      body: { scope: { type: 'user', id: 'frank' }, period: 'month', limit: '0.02', action: 'block', alertAtPercent: [50, 100] },
    });
    expect(put.status).toBe(200);
    const list = await fetchJson(`${t.url}/api/billing/budgets`, { key: member.key });
    expect(list.json.budgets).toEqual(expect.arrayContaining([expect.objectContaining({ scope: { type: 'user', id: 'frank' }, limit: '0.02', action: 'block' })]));

    const run = await openSSE(`${t.url}/api/stream?prompt=tell+me+more&user=frank`, { headers: bearer(member.key) });
    await run.done;
    const last = run.events.at(-1)!;
    expect(last.event).toBe('error');
    // The wire's error names the budget in its message (details stay on the server).
    const error = last.json as { code: string; message: string };
    expect(error.code).toBe('budget_exceeded');
    expect(error.message).toMatch(/^The month budget of end user frank \(0\.02 USD\) is used up: 0\.02\d* USD with this stream\./);
    await settle();
    const records = (await fetchJson(`${t.url}/api/billing/records?state=final`, { key: member.key })).json.records as Array<{
      userId?: string;
      endReason: string;
      outputTokens?: number;
      lines: { total: string };
    }>;
    const stopped = records.find((r) => r.userId === 'frank')!;
    expect(stopped.endReason).toBe('budget_stop');
    // Billed up to the stop: more than the limit's worth of tokens was never sent.
    expect(stopped.outputTokens).toBeLessThan(60);
    const alerts = (await fetchJson(`${t.url}/api/billing/alerts`, { key: member.key })).json.alerts as Array<{ kind: string; data: { scope: string; scopeId: string } }>;
    expect(alerts.map((a) => a.kind).sort()).toEqual(['budget.user:frank.month.100', 'budget.user:frank.month.50']);
    expect(alerts[0]!.data).toMatchObject({ scope: 'user', scopeId: 'frank' });

    const refused = await fetchJson(`${t.url}/api/stream?prompt=again&user=frank`, { key: member.key });
    expect(refused.status).toBe(402);
    expect(refused.json.error.details).toMatchObject({ scope: 'user', scopeId: 'frank' });
    const anotherUser = await openSSE(`${t.url}/api/stream?prompt=fine&user=gina`, { headers: bearer(member.key) });
    expect(anotherUser.status).toBe(200);
    await anotherUser.done;
    expect(anotherUser.events.at(-1)!.event).toBe('complete');
  });

  it("refuses an API key over its own budget with 402 naming the key, while the tenant's other keys stream", async () => {
    const put = await fetchJson(`${t.url}/api/billing/budgets`, { method: 'PUT', key: admin.key, body: { scope: { type: 'apiKey', id: other.id }, period: 'day', limit: '0', action: 'block' } });
    expect(put.status).toBe(200);
    const refused = await fetchJson(`${t.url}/api/stream?prompt=hi`, { key: other.key });
    expect(refused.status).toBe(402);
    expect(refused.json.error.details).toMatchObject({ scope: 'apiKey', scopeId: other.id, period: 'day', limit: '0' });
    const fine = await openSSE(`${t.url}/api/stream?prompt=hi`, { headers: bearer(member.key) });
    expect(fine.status).toBe(200);
    await fine.done;
  });
});
