import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSimulatedProvider } from '@twin/core';
import { createApiKey, type OpenedDatabase } from '../src/index';
import { openPostgresTestDatabase, postgresReachable } from './postgres-test-database';
import { fetchJson, openSSE, type SSEReader } from './read-sse';
import { openTestDatabase, startTestServer, type TestServer } from './test-server';

// The Postgres run is mandatory under CI=true: test/storage.test.ts fails when it is unreachable there.
const pgUp = await postgresReachable();
const DRIVERS: Array<[string, () => Promise<OpenedDatabase>]> = [
  ['PGlite', openTestDatabase],
  ['Postgres', openPostgresTestDatabase],
];

const auth = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });
const streamIdOf = (r: SSEReader) => (r.events[0]!.json as { streamId: string }).streamId;
interface LiveEvent {
  streams: Array<{ id: string; tenantId: string; state: string; outputTokens: number; bytes: number; costSoFar?: { total: string; estimated: boolean } }>;
}
const lastLive = (feed: SSEReader) => feed.events.filter((e) => e.event === 'live').at(-1)?.json as unknown as LiveEvent | undefined;

for (const [driver, open] of DRIVERS) {
  describe.skipIf(driver === 'Postgres' && !pgUp)(`admin API on ${driver}`, () => {
    let db: OpenedDatabase;
    let t: TestServer;
    let otherAdmin: string;
    beforeAll(async () => {
      db = await open();
      // No detach grace: a vanished client's stream ends (and is billed) at once; the default keeps it 30 s for a resume.
      t = await startTestServer(db, { providers: [createSimulatedProvider({ tokensPerSecond: 40, outputTokens: 4_000 })], service: { detachGraceMs: 0 } });
      otherAdmin = (await createApiKey(t.store, { tenantId: `other-${Math.random().toString(36).slice(2, 8)}`, role: 'admin' })).key;
    });
    afterAll(async () => {
      await t?.close();
      await db?.close();
    });

    /** Waits until the stream's bill is final (its end is written behind, in a batch): on the condition, the test's limit is the only clock. */
    async function finalBill(id: string): Promise<void> {
      await vi.waitFor(
        async () => {
          await t.store.flush();
          const d = await fetchJson(`${t.url}/api/admin/streams/${id}`, { key: t.keys.admin });
          if (d.json?.billing?.state !== 'final') throw new Error(`the bill of ${id} is ${String(d.json?.billing?.state)}, never final`);
        },
        { timeout: 100_000, interval: 50 },
      );
    }

    it("refuses member keys (403); an admin key sees only its own tenant's streams in the feed and the detail (404 for another's)", async () => {
      expect((await fetchJson(`${t.url}/api/admin/live`, { key: t.keys.t1 })).status).toBe(403);
      expect((await fetchJson(`${t.url}/api/admin/whoami`)).status).toBe(401);
      // A tenant-admin key may watch its own tenant (the console lets it in).
      const t1Tenant = (await fetchJson(`${t.url}/api/admin/whoami`, { key: t.keys.admin })).json.tenantId as string;
      const tenantAdmin = (await createApiKey(t.store, { tenantId: t1Tenant, role: 'tenant-admin' })).key;
      expect((await fetchJson(`${t.url}/api/admin/whoami`, { key: tenantAdmin })).json).toMatchObject({ tenantId: t1Tenant, role: 'tenant-admin' });

      const stream = await openSSE(`${t.url}/api/stream?prompt=private`, auth(t.keys.t1));
      await stream.waitFor((e) => e.some((x) => x.event === 'chunk'));
      const id = streamIdOf(stream);

      const mine = await openSSE(`${t.url}/api/admin/live?intervalMs=250`, auth(t.keys.admin));
      const theirs = await openSSE(`${t.url}/api/admin/live?intervalMs=250`, auth(otherAdmin));
      await mine.waitFor(() => lastLive(mine)?.streams.some((s) => s.id === id && s.bytes > 0) === true);
      await theirs.waitFor((e) => e.filter((x) => x.event === 'live').length >= 2);
      expect(JSON.stringify(theirs.events)).not.toContain(id);
      const row = lastLive(mine)!.streams.find((s) => s.id === id)!;
      expect(row.state).toBe('streaming');
      expect(row.costSoFar?.estimated).toBe(true);

      expect((await fetchJson(`${t.url}/api/admin/streams/${id}`, { key: otherAdmin })).status).toBe(404);
      const detail = await fetchJson(`${t.url}/api/admin/streams/${id}`, { key: t.keys.admin });
      expect(detail.status).toBe(200);
      expect(detail.json.live.id).toBe(id);

      // Closed from the console: the bill ends as client_abort and the row leaves the feed.
      const closed = await fetchJson(`${t.url}/api/stream/${id}`, { method: 'DELETE', key: t.keys.admin });
      expect(closed.json.billing.endReason).toBe('client_abort');
      const seen = mine.events.length;
      await mine.waitFor((e) => e.length > seen + 1 && !lastLive(mine)!.streams.some((s) => s.id === id));
      mine.close();
      theirs.close();
      stream.close();
    });

    it('stream detail replays exactly the text the client received, with a timeline from start to end and the final bill', async () => {
      const reader = await openSSE(`${t.url}/api/stream?prompt=hello&maxTokens=30`, auth(t.keys.t1));
      await reader.done;
      const id = streamIdOf(reader);
      const received = reader.events.filter((e) => e.event === 'chunk').map((e) => (e.json as { text?: string }).text ?? '').join('');
      expect(received.length).toBeGreaterThan(0);
      await finalBill(id);
      // The audit rows (segments, the end event) are written behind the bill, by their own batches.
      const detail = await vi.waitFor(
        async () => {
          await t.store.flush();
          const d = await fetchJson(`${t.url}/api/admin/streams/${id}`, { key: t.keys.admin });
          if (!(d.json.timeline as Array<{ kind: string }>).some((e) => e.kind === 'end')) throw new Error(`no end event in the timeline of ${id}`);
          return d;
        },
        { timeout: 100_000, interval: 20 },
      );
      expect(detail.status).toBe(200);
      expect(detail.json.text).toBe(received);
      expect(detail.json.billing.state).toBe('final');
      expect(detail.json.billing.endReason).toBe('complete');
      const kinds = (detail.json.timeline as Array<{ kind: string }>).map((e) => e.kind);
      expect(kinds[0]).toBe('start');
      expect(kinds).toContain('chunks');
      expect(kinds).toContain('complete');
      expect(kinds.at(-1)).toBe('end');
    });

    it('counts a client that vanishes mid-stream as a drop (audit event, /metrics, traffic view) and exports token and cost counters', async () => {
      const reader = await openSSE(`${t.url}/api/stream?prompt=drop`, auth(t.keys.admin));
      await reader.waitFor((e) => e.some((x) => x.event === 'chunk'));
      const id = streamIdOf(reader);
      reader.close();
      await finalBill(id);

      const metrics = (await fetchJson(`${t.url}/metrics`)).text;
      expect(metrics).toMatch(/^twin_client_drops_total [1-9]/m);
      expect(metrics).toMatch(/^twin_tokens_total\{provider="simulated",model="[^"]+",tenant="t1-[^"]+",kind="output"\} [1-9]/m);
      expect(metrics).toMatch(/^twin_cost_total\{provider="simulated",model="[^"]+",tenant="t1-[^"]+",currency="USD"\} /m);
      expect(metrics).toMatch(/^twin_queued_bytes 0/m);

      const traffic = await fetchJson(`${t.url}/api/admin/traffic?window=5m&buckets=5`, { key: t.keys.admin });
      expect(traffic.status).toBe(200);
      expect(traffic.json.totals.drops).toBeGreaterThanOrEqual(1);
      expect(traffic.json.totals.finished).toBeGreaterThanOrEqual(1);
      expect(traffic.json.buckets).toHaveLength(5);

      const detail = await fetchJson(`${t.url}/api/admin/streams/${id}`, { key: t.keys.admin });
      expect((detail.json.timeline as Array<{ kind: string }>).map((e) => e.kind)).toContain('detach');
      expect(detail.json.billing.endReason).toBe('client_abort');
    });

    it('the spend series adds up to the billing report total, in exact decimals', async () => {
      const now = new Date();
      const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString();
      const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString();
      const [series, report] = await Promise.all([
        fetchJson(`${t.url}/api/admin/spend?from=${from}&to=${to}&bucket=hour`, { key: t.keys.admin }),
        fetchJson(`${t.url}/api/billing/report?from=${from}&to=${to}`, { key: t.keys.admin }),
      ]);
      expect(series.status).toBe(200);
      const points = series.json.points as Array<{ total: string; count: number }>;
      expect(points.reduce((a, p) => a + p.count, 0)).toBe(report.json.totals.count);
      // Sum as scaled integers (never floats): 12 decimal places cover any price table.
      const scaled = (s: string) => {
        const [i, f = ''] = s.split('.');
        return BigInt(i!) * 10n ** 12n + BigInt(f.padEnd(12, '0').slice(0, 12));
      };
      expect(points.reduce((a, p) => a + scaled(p.total), 0n)).toBe(scaled(report.json.totals.cost.total));
      expect((await fetchJson(`${t.url}/api/admin/spend?from=${to}&to=${from}`, { key: t.keys.admin })).json.details.field).toBe('to');
    });

    it('serves the console page at /admin with a strict content security policy, and assets only by their exact names', async () => {
      const page = await fetch(`${t.url}/admin`);
      if (page.status === 503) {
        // The console is built by `pnpm build`; without dist/console the page says so instead of a 404.
        expect(await page.text()).toMatch(/not built/);
        return;
      }
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
      const html = await page.text();
      const asset = /\/admin\/assets\/[^"]+\.js/.exec(html)?.[0];
      expect(asset).toBeDefined();
      expect((await fetch(`${t.url}${asset}`)).status).toBe(200);
      // Only exact asset names: anything else under assets/ is a 404, never a file from elsewhere.
      expect((await fetch(`${t.url}/admin/assets/..%2f..%2fpackage.json`)).status).toBe(404);
      expect((await fetch(`${t.url}/admin/assets/missing.js`)).status).toBe(404);
    });
  });
}
