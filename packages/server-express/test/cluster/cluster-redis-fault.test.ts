import { Redis } from 'ioredis';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openSSE, type ReceivedEvent } from '../read-sse';
import { missingClusterParts, startCluster, type TestCluster } from './cluster-harness';
import { freePort } from '../free-port';
import { startRedisProcess, type RedisProcess } from './redis-process';

/**
 * Redis killed mid-stream and started again (empty, as a restart of a Redis that keeps nothing on
 * disk): running streams go on from their instance's memory, each billed once; a resume landing
 * on another instance meanwhile is told to retry (503), never ended; nothing crashes; once Redis is
 * back, resume anywhere works again for new streams.
 */
const missing = await missingClusterParts('haproxy');
if (missing.length > 0 && process.env.CI === 'true') throw new Error(`cluster tests need: ${missing.join(', ')}`);

const words = (n: number) => Array.from({ length: n }, (_, i) => `f${i}`).join('+');
const seqs = (events: ReceivedEvent[]) => events.map((e) => e.json.seq);

describe.skipIf(missing.length > 0)(`Redis faults${missing.length ? ` (skipped: missing ${missing.join(', ')})` : ''}`, () => {
  let redis: RedisProcess;
  let cluster: TestCluster;
  let sql: postgres.Sql;
  beforeAll(async () => {
    redis = await startRedisProcess(await freePort());
    cluster = await startCluster({ instances: 2, redisUrl: redis.url, env: { TWIN_SIMULATED_TOKENS_PER_SECOND: '80' } });
    sql = postgres(cluster.databaseUrl, { max: 1, onnotice: () => {} });
  });
  afterAll(async () => {
    await sql?.end({ timeout: 2 });
    await cluster?.stop();
    await redis?.kill();
  });

  it('degrades to single-instance behaviour while Redis is down and recovers after', async () => {
    const [i1, i2] = cluster.instances as [TestCluster['instances'][0], TestCluster['instances'][0]];
    const auth = `api_key=${encodeURIComponent(cluster.key)}`;
    const readers = await Promise.all(Array.from({ length: 5 }, () => openSSE(`${i1.url}/api/stream?prompt=${words(150)}&${auth}`)));
    await Promise.all(readers.map((r) => r.waitFor((e) => e.some((x) => x.event === 'chunk'))));
    // One more stream, cut: it is resumed during the outage.
    const cutUrl = `${i1.url}/api/stream?prompt=${words(150)}&${auth}`;
    const cut = await openSSE(cutUrl);
    await cut.waitFor((e) => e.length >= 2);
    cut.close();
    await redis.kill();

    // A resume landing on the instance that does not run the stream: retry, not 204.
    const lastId = cut.events.at(-1)!.id!;
    const elsewhere = await fetch(`${i2.url}/api/stream?${auth}`, { headers: { 'last-event-id': lastId, accept: 'text/event-stream' } });
    expect(elsewhere.status).toBe(503);
    expect(elsewhere.headers.get('retry-after')).not.toBeNull();
    await elsewhere.body?.cancel();
    // On its own instance it resumes from memory, exactly.
    const back = await openSSE(cutUrl, { headers: { 'last-event-id': lastId } });
    await back.done;
    const whole = [...cut.events, ...back.events];
    expect(seqs(whole)).toEqual(whole.map((_, i) => i));
    expect(whole.at(-1)?.event).toBe('complete');

    for (const reader of readers) {
      await reader.done;
      expect(seqs(reader.events)).toEqual(reader.events.map((_, i) => i));
      expect(reader.events.at(-1)?.event).toBe('complete');
    }
    // Both instances still serve (no crash, no unhandled rejection).
    for (const instance of [i1, i2]) expect((await fetch(`${instance.url}/health`)).status).toBe(200);
    expect(i1.server.child.exitCode).toBeNull();
    expect(i2.server.child.exitCode).toBeNull();

    await redis.restart();
    // Recovered once a new stream's log reaches Redis (the instance reconnects with backoff).
    const probe = new Redis(redis.url, { maxRetriesPerRequest: 0 });
    probe.on('error', () => {});
    const deadline = Date.now() + 30_000;
    let resumed: ReceivedEvent[] | undefined;
    let firstPart: ReceivedEvent[] = [];
    while (!resumed && Date.now() < deadline) {
      const url = `${i1.url}/api/stream?prompt=${words(120)}&${auth}`;
      const reader = await openSSE(url);
      await reader.waitFor((e) => e.length >= 3 || e.at(-1)?.event === 'complete');
      const id = reader.events[0]!.json.streamId as string;
      const logged = (await probe.exists(`${cluster.keyPrefix}s:${id}:meta`)) === 1 && (await probe.xlen(`${cluster.keyPrefix}s:${id}:ev`)) >= reader.events.length;
      reader.close();
      if (!logged) continue;
      firstPart = reader.events;
      const other = await openSSE(`${i2.url}/api/stream?${auth}`, { headers: { 'last-event-id': reader.events.at(-1)!.id! } });
      // The other instance's own connections may still be reconnecting (backoff): it says retry.
      if (other.status === 503) {
        await other.done;
        continue;
      }
      expect(other.status).toBe(200);
      expect(other.headers['x-twin-instance']).toBe(i2.id);
      await other.done;
      resumed = other.events;
    }
    probe.disconnect();
    expect(resumed).toBeDefined();
    const all = [...firstPart, ...resumed!];
    expect(seqs(all)).toEqual(all.map((_, i) => i));
    expect(all.at(-1)?.event).toBe('complete');

    // Every stream billed exactly once.
    const bills = await sql<{ stream_id: string; n: number; open: number }[]>`
      select stream_id, count(*)::int as n, count(*) filter (where state = 'open')::int as open from stream_billing_records group by stream_id`;
    expect(bills.filter((b) => b.n !== 1)).toEqual([]);
    // Records are finalized just behind their streams' endings: wait for the last ones.
    await vi.waitFor(
      async () => {
        const [row] = await sql<{ open: number }[]>`select count(*) filter (where state = 'open')::int as open from stream_billing_records`;
        expect(row!.open).toBe(0);
      },
      { timeout: 30_000, interval: 100 },
    );
  });
});
