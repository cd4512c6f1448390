import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_CLI, pgliteStorage, postgresStorage, startBuiltServer, type BuiltServer, type BuiltServerStorage } from './built-server';
import { postgresReachable } from './postgres-test-database';
import { rawRequest, vanish } from './raw-tcp';
import { existsSync } from 'node:fs';

/**
 * 1,000 clients of a cold built server (fresh database, no key cached) vanish: half right after
 * sending their request (while the server awaits its database), half once their stream has
 * started. Afterwards no slot may be held, every record must say `client_abort`, and every request
 * either started a stream with exactly one record or was dropped before any provider call.
 */
const STREAMS = Number(process.env.STORM_STREAMS ?? 1_000);
const havePostgres = await postgresReachable();
if (!havePostgres && process.env.CI === 'true') throw new Error('Postgres is not reachable on 127.0.0.1:5432 (CI=true).');
if (!havePostgres) console.warn('[abort storm] Postgres not reachable: its run is SKIPPED.');
if (!existsSync(BUILT_CLI)) throw new Error(`${BUILT_CLI} is missing: run \`pnpm build\` first.`);

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};

describe.each([
  { name: 'PGlite', make: pgliteStorage, run: true },
  { name: 'Postgres', make: postgresStorage, run: havePostgres },
])('abort storm on a cold built server ($name)', ({ name, make, run }) => {
  let storage: BuiltServerStorage;
  let server: BuiltServer;
  beforeAll(async () => {
    if (!run) return;
    storage = make();
    server = await startBuiltServer(storage, {
      TWIN_DETACH_GRACE_MS: '0',
      TWIN_MAX_CONNECTIONS_PER_KEY: String(STREAMS * 2),
      TWIN_SIMULATED_TOKENS_PER_SECOND: '20',
    });
  }, 400_000);
  afterAll(async () => {
    server?.child.kill('SIGKILL');
    await server?.exited;
    await storage?.dispose();
  });

  it.runIf(run)(`${STREAMS} vanishing clients: 0 slots held, every record client_abort, one record per started stream`, async () => {
    const key = storage.key;
    const closedAt = new Map<string, number>();
    const connect = async (i: number) => {
      const started = i % 2 === 1;
      const socket: Socket = await rawRequest(server.url, { path: `/api/stream?prompt=storm+${i}`, headers: { authorization: `Bearer ${key}` } });
      if (!started) return vanish(socket);
      const streamId = await new Promise<string | undefined>((resolve) => {
        let head = '';
        socket.on('data', (b: Buffer) => {
          head += b.toString();
          if (head.includes('event: start')) resolve(/x-twin-stream-id: (\S+)/i.exec(head)?.[1]);
        });
        socket.once('close', () => resolve(undefined));
      });
      if (streamId) closedAt.set(streamId, Date.now());
      return vanish(socket);
    };
    await Promise.all(Array.from({ length: STREAMS }, (_, i) => connect(i)));

    const health = async () => (await (await fetch(`${server.url}/health`)).json()) as { openConnections: number; activeStreams: number };
    await expect.poll(health, { timeout: 60_000, interval: 250 }).toMatchObject({ openConnections: 0, activeStreams: 0 });

    type Row = { streamId: string; state: string; endReason: string; endedAt: string };
    const listRecords = async () => {
      const records: Row[] = [];
      for (let before: string | undefined; ; ) {
      const page = (await (
        await fetch(`${server.url}/api/billing/records?limit=1000${before ? `&before=${encodeURIComponent(before)}` : ''}`, { headers: { authorization: `Bearer ${key}` } })
      ).json()) as { records: Row[]; next?: { before: string } };
        records.push(...page.records);
        if (!page.next) return records;
        before = page.next.before;
      }
    };
    // Endings are group-committed behind the stream: wait until every record is final.
    await expect.poll(async () => (await listRecords()).filter((r) => r.state !== 'final').length, { timeout: 60_000, interval: 250 }).toBe(0);
    const records = await listRecords();
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const gone = metrics
      .split('\n')
      .filter((l) => l.startsWith('twin_client_gone_total{'))
      .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);

    expect(records.filter((r) => r.endReason !== 'client_abort').map((r) => r.endReason)).toEqual([]);
    expect(new Set(records.map((r) => r.streamId)).size).toBe(records.length);
    for (const id of closedAt.keys()) expect(records.filter((r) => r.streamId === id)).toHaveLength(1);
    const rejected = metrics
      .split('\n')
      .filter((l) => l.startsWith('twin_rejected_total{'))
      .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
    // Every request the server read either started a stream (one record) or was dropped before its
    // provider call; the rest reset their connection before the server read their request at all.
    expect(rejected).toBe(0);
    expect(records.length).toBeGreaterThanOrEqual(closedAt.size);
    expect(records.length + gone).toBeLessThanOrEqual(STREAMS);
    const unread = STREAMS - records.length - gone;

    const closeToEnd = records.filter((r) => closedAt.has(r.streamId)).map((r) => Date.parse(r.endedAt) - closedAt.get(r.streamId)!);
    console.info(
      `[abort storm ${name}] ${STREAMS} clients: ${records.length} streams started and billed client_abort, ${gone} dropped before the provider call, ${unread} reset before their request was read; ` +
        `client close → provider closed (record endedAt) p50 ${percentile(closeToEnd, 50)} ms, p99 ${percentile(closeToEnd, 99)} ms, max ${Math.max(...closeToEnd)} ms`,
    );
  }, 300_000);
});
