import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSimulatedProvider } from '@twin/core';
import type { OpenedDatabase } from '../src/index';
import { fetchJson, openSSE } from './read-sse';
import { createGatedProvider } from './test-providers';
import { openTestDatabase, startTestServer, type TestServer } from './test-server';

let db: OpenedDatabase;
let t: TestServer;
const gated = createGatedProvider(['one ', 'two ', 'three ', 'four ', 'five ']);

beforeAll(async () => {
  db = await openTestDatabase();
  t = await startTestServer(db, {
    providers: [createSimulatedProvider({ tokensPerSecond: 400, outputTokens: 12 }), createSimulatedProvider({ name: 'slow', tokensPerSecond: 20, outputTokens: 4_000 }), gated.provider],
    // No detach grace: a vanished client's stream is aborted at once (the default keeps it 30 s for a resume).
    // `gated` is priced by the test server's table for made-up providers.
    service: { detachGraceMs: 0 },
  });
});
afterAll(async () => {
  await t.close();
  await db.close();
});

const auth = () => ({ authorization: `Bearer ${t.keys.t1}` });

async function finalRecord(key: string, streamId: string) {
  // Polls the condition (the end is written behind, in a batch); only the limit is a clock.
  return vi.waitFor(
    async () => {
      await t.store.flush();
      const res = await fetchJson(`${t.url}/api/billing/records?limit=50`, { key: key });
      const record = res.json.records.find((r: { streamId: string }) => r.streamId === streamId);
      if (record?.state !== 'final') throw new Error(`no final billing record for ${streamId}`);
      return record;
    },
    { timeout: 60_000, interval: 50 },
  );
}

describe('SSE stream lifecycle', () => {
  it('answers with the docs/design.md "Wire protocol" headers, an immediate comment with a retry hint, and sequenced events', async () => {
    const r = await openSSE(`${t.url}/api/stream?prompt=hello`, { headers: auth() });
    await r.done;
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(r.headers['cache-control']).toBe('no-cache, no-transform');
    expect(r.headers['x-accel-buffering']).toBe('no');
    expect(r.comments[0]).toBe('twin');
    expect(r.retry).toBe(1000);
    const types = r.events.map((e) => e.event);
    expect(types[0]).toBe('start');
    expect(types.at(-1)).toBe('complete');
    // Protocol 2: the id carries the stream id and the seq, so a native EventSource resumes the right stream.
    const streamId = r.events[0]!.json.streamId as string;
    expect(r.events.map((e) => e.id)).toEqual(r.events.map((_, i) => `${streamId}:${i}`));
    expect(r.events.every((e, i) => e.json.seq === i && e.json.v === 2)).toBe(true);
  });

  it('leaves exactly one final billing record whose id the complete event carries, money as exact decimal strings', async () => {
    const r = await openSSE(`${t.url}/api/stream`, { headers: auth(), body: { messages: [{ role: 'user', content: 'bill me' }], options: { purpose: 'chat' } } });
    await r.done;
    const start = r.events[0]!.json as { streamId: string };
    const complete = r.events.at(-1)!.json as {
      cost: { recordId: string; total: string; currency: string };
      usage: { outputTokens: number };
      metrics: { bytes: number };
    };
    expect(complete.cost.total).toMatch(/^\d+\.\d+$/);
    const record = await finalRecord(t.keys.t1, start.streamId);
    expect(record.id).toBe(complete.cost.recordId);
    expect(record.endReason).toBe('complete');
    expect(record.purpose).toBe('chat');
    expect(record.outputTokens).toBe(complete.usage.outputTokens);
    expect(record.lines.total).toBe(complete.cost.total);
    // The record keeps the bytes the bill was computed on (the receipt's own event excluded).
    expect(record.bytes).toBe(complete.metrics.bytes);
    const rows = await t.store.listBillingRecords(record.tenantId, { limit: 1000 });
    expect(rows.filter((x) => x.streamId === start.streamId)).toHaveLength(1);
  });

  it('with no detach grace, aborts the provider when the client disconnects, and bills what was used', async () => {
    const r = await openSSE(`${t.url}/api/stream?provider=gated&prompt=x`, { headers: auth() });
    await r.waitFor((e) => e.some((x) => x.event === 'chunk'));
    const streamId = (r.events[0]!.json as { streamId: string }).streamId;
    r.close();
    const record = await finalRecord(t.keys.t1, streamId);
    expect(gated.state.aborted).toBe(true);
    expect(gated.state.emitted).toBeLessThan(5);
    expect(record.endReason).toBe('client_abort');
    expect(record.outputTokens).toBeLessThan(5);
    expect(record.lines.total).toMatch(/^\d+\.\d+$/);
  });

  it('DELETE /api/stream/:id closes a running stream, aborting the provider and returning its bill', async () => {
    const r = await openSSE(`${t.url}/api/stream?provider=slow&prompt=long`, { headers: auth() });
    await r.waitFor((e) => e.some((x) => x.event === 'chunk'));
    const streamId = (r.events[0]!.json as { streamId: string }).streamId;
    const active = await fetchJson(`${t.url}/api/stream/active`, { key: t.keys.t1 });
    expect(active.json.streams.map((s: { id: string }) => s.id)).toContain(streamId);
    const del = await fetchJson(`${t.url}/api/stream/${streamId}`, { method: 'DELETE', key: t.keys.t1 });
    expect(del.status).toBe(200);
    expect(del.json.billing.state).toBe('final');
    expect(del.json.billing.endReason).toBe('client_abort');
    expect(del.json.billing.outputTokens).toBeLessThan(4_000);
    await r.done;
    const last = r.events.at(-1)!;
    expect(last.event).toBe('error');
    expect(last.json.code).toBe('aborted');
  });

  it('serves one stream’s metrics, live and after it ended', async () => {
    const r = await openSSE(`${t.url}/api/stream?prompt=metrics`, { headers: auth() });
    await r.done;
    const streamId = (r.events[0]!.json as { streamId: string }).streamId;
    const m = await fetchJson(`${t.url}/api/stream/${streamId}/metrics?period=5m`, { key: t.keys.t1 });
    expect(m.status).toBe(200);
    expect(m.json.metrics.eventsSent).toBe(r.events.length);
    expect(m.json.window.period).toBe('5m');
  });
});
