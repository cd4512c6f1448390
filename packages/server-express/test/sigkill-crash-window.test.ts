import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILT_CLI, pgliteStorage, postgresStorage, startBuiltServer, type BuiltServer, type BuiltServerStorage } from './built-server';
import { postgresReachable } from './postgres-test-database';
import { openSSE, type SSEReader } from './read-sse';

/**
 * SIGKILL under load: streams start every few milliseconds against the built server, then the
 * process is killed. After a restart (which reconciles), every stream whose first chunk reached its
 * client must have exactly one billing record: its content was held until its opening committed.
 */
const havePostgres = await postgresReachable();
if (!havePostgres && process.env.CI === 'true') throw new Error('Postgres is not reachable on 127.0.0.1:5432 (CI=true).');
if (!existsSync(BUILT_CLI)) throw new Error(`${BUILT_CLI} is missing: run \`pnpm build\` first.`);
const LOAD_MS = Number(process.env.CRASH_LOAD_MS ?? 3_000);
const EVERY_MS = Number(process.env.CRASH_EVERY_MS ?? 5);

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

describe.each([
  { name: 'PGlite', make: pgliteStorage, run: true },
  { name: 'Postgres', make: postgresStorage, run: havePostgres },
])('SIGKILL under load ($name)', ({ name, make, run }) => {
  it.runIf(run)('every stream whose first chunk was received has exactly one record after the restart', async () => {
    const storage: BuiltServerStorage = make();
    let server: BuiltServer = await startBuiltServer(storage, { TWIN_SIMULATED_TOKENS_PER_SECOND: '50', TWIN_DETACH_GRACE_MS: '0' });
    cleanups.push(async () => {
      server.child.kill('SIGKILL');
      await server.exited;
      await storage.dispose();
    });
    const key = storage.key;
    type Seen = { streamId: string; startAt: number; firstChunkAt?: number };
    const seen: Seen[] = [];
    const readers: Promise<unknown>[] = [];
    const t0 = performance.now();
    let killAt = 0;
    // Open streams at a steady pace, then kill the server while they keep starting: after LOAD_MS and
    // once more than 50 streams delivered content (a count, not a clock: a loaded machine takes longer).
    const delivered = () => seen.filter((s) => s.firstChunkAt !== undefined).length;
    for (let i = 0; performance.now() - t0 < LOAD_MS || delivered() <= 50; i++) {
      readers.push(
        openSSE(`${server.url}/api/stream?prompt=crash+${i}`, { headers: { authorization: `Bearer ${key}` } }).then(
          (r: SSEReader) => {
            const s: Seen = { streamId: String(r.headers['x-twin-stream-id']), startAt: performance.now() };
            seen.push(s);
            void r.waitFor((e) => e.some((x) => x.event === 'chunk'), 60_000).then(
              () => (s.firstChunkAt ??= r.events.find((x) => x.event === 'chunk')!.at),
              () => {},
            );
            return r.done;
          },
          () => undefined,
        ),
      );
      await new Promise((r) => setTimeout(r, EVERY_MS));
    }
    killAt = performance.now();
    server.child.kill('SIGKILL');
    await server.exited;
    await Promise.allSettled(readers);

    server = await startBuiltServer(storage, { TWIN_DETACH_GRACE_MS: '0' });
    const records: Array<{ streamId: string; state: string; endReason: string }> = [];
    for (let before: string | undefined; ; ) {
      const page = (await (
        await fetch(`${server.url}/api/billing/records?limit=1000${before ? `&before=${encodeURIComponent(before)}` : ''}`, { headers: { authorization: `Bearer ${key}` } })
      ).json()) as { records: typeof records; next?: { before: string } };
      records.push(...page.records);
      if (!page.next) break;
      before = page.next.before;
    }
    const byStream = new Map<string, number>();
    for (const r of records) byStream.set(r.streamId, (byStream.get(r.streamId) ?? 0) + 1);
    const withContent = seen.filter((s) => s.firstChunkAt !== undefined);
    const lost = withContent.filter((s) => byStream.get(s.streamId) !== 1);
    const unbilled = seen.filter((s) => !byStream.has(s.streamId));
    const newestUnbilledContent = unbilled.filter((s) => s.firstChunkAt !== undefined);
    const youngestWithRecord = Math.min(...seen.filter((s) => byStream.has(s.streamId)).map((s) => killAt - s.startAt));
    console.info(
      `[crash window ${name}] ${seen.length} streams answered, ${withContent.length} had a chunk delivered, ${records.length} records; ` +
        `${unbilled.length} started without a record (none with content: ${newestUnbilledContent.length === 0}); ` +
        `youngest stream with a record started ${youngestWithRecord.toFixed(1)} ms before the kill`,
    );
    expect(withContent.length).toBeGreaterThan(50);
    expect(lost.map((s) => s.streamId)).toEqual([]);
    expect(records.every((r) => r.state === 'final')).toBe(true);
    expect([...byStream.values()].every((n) => n === 1)).toBe(true);
  }, 600_000);
});
