import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openSSE, type ReceivedEvent, type SSEReader } from '../read-sse';
import { missingClusterParts, startCluster, type TestCluster } from './cluster-harness';

/**
 * Resume anywhere and control anywhere, end to end: three built instances behind HAProxy
 * (round-robin, no stickiness), one Postgres database, one Redis prefix. Streams are cut at random
 * points and resumed through the balancer, so most resumes land on an instance that does not run
 * the stream and must serve it from the shared log.
 */
const missing = await missingClusterParts('haproxy');
if (missing.length > 0 && process.env.CI === 'true') throw new Error(`cluster tests need: ${missing.join(', ')}`);

const STREAMS = 300;
const CONCURRENCY = 40;
const PROMPTS = 6;

/** A small seeded PRNG: the cut points are random but the same on every run. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const isTerminal = (e: ReceivedEvent | undefined) => e?.event === 'complete' || e?.event === 'error';
const textOf = (events: ReceivedEvent[]) => events.filter((e) => e.event === 'chunk').map((e) => e.json.text as string).join('');

describe.skipIf(missing.length > 0)(`a cluster of three behind HAProxy${missing.length ? ` (skipped: missing ${missing.join(', ')})` : ''}`, () => {
  let cluster: TestCluster;
  let sql: postgres.Sql;
  beforeAll(async () => {
    // A slow simulated provider too, for a stream that runs long enough to be deleted.
    const config = join(tmpdir(), `twin-cluster-routing-${process.pid}.json`);
    writeFileSync(config, JSON.stringify({ providers: { slow: { type: 'simulated', tokensPerSecond: 4 } } }));
    cluster = await startCluster({ instances: 3, env: { TWIN_SIMULATED_TOKENS_PER_SECOND: '60', TWIN_CONFIG: config, TWIN_UNPRICED_MODELS: 'allow' } });
    sql = postgres(cluster.databaseUrl, { max: 2, onnotice: () => {} });
  });
  afterAll(async () => {
    await sql?.end({ timeout: 2 });
    await cluster?.stop();
  });

  it(`${STREAMS} streams cut at random points and resumed through the balancer: none lost, none twice, one bill each`, async () => {
    const auth = `api_key=${encodeURIComponent(cluster.key)}`;
    const uncut = new Map<number, string>();
    for (let p = 0; p < PROMPTS; p++) {
      const whole = await openSSE(`${cluster.url}/api/stream?prompt=cluster+${p}&${auth}`);
      await whole.done;
      expect(whole.events.at(-1)?.event).toBe('complete');
      uncut.set(p, textOf(whole.events));
    }
    const random = prng(18);
    const tally = { resumes: 0, relayed: 0, retried: 0, endedEarly: 0 };
    const streamIds: string[] = [];
    const why = new Set<string>();

    const runOne = async (n: number) => {
      const prompt = n % PROMPTS;
      const url = `${cluster.url}/api/stream?prompt=cluster+${prompt}&${auth}`;
      let cuts = 1 + Math.floor(random() * 3);
      const got: ReceivedEvent[] = [];
      let reader: SSEReader = await openSSE(url);
      // A balancer with every instance marked down for a moment (health checks on a loaded machine) answers 503: retry.
      while (reader.status === 503) {
        await reader.done;
        tally.retried++;
        reader = await openSSE(url);
      }
      if (reader.status !== 200) {
        await reader.done;
        throw new Error(`start answered ${reader.status}: ${reader.errorBody}`);
      }
      const owner = reader.headers['x-twin-instance'];
      for (let c = 0; ; c++) {
        if (cuts > 0) {
          cuts--;
          const after = got.length + 1 + Math.floor(random() * 6);
          // (A connection the server ends early is resumed like a cut one.)
          await reader.waitFor((e) => got.length + e.length >= after || isTerminal(e.at(-1))).catch(() => tally.endedEarly++);
          reader.close();
        } else {
          await reader.done;
          // A connection the server ended before the terminal event (the client resumes, as here).
          if (!isTerminal(reader.events.at(-1))) tally.endedEarly++;
        }
        got.push(...reader.events);
        if (isTerminal(got.at(-1))) break;
        const lastId = got.at(-1)?.id;
        // Alternate a native EventSource reconnect (same url, Last-Event-ID `<streamId>:<seq>`) and
        // @twin/client's (`?streamId=` and the bare seq).
        const streamId = got[0]!.json.streamId as string;
        for (;;) {
          reader =
            lastId === undefined
              ? await openSSE(url)
              : c % 2 === 0
                ? await openSSE(url, { headers: { 'last-event-id': lastId } })
                : await openSSE(`${cluster.url}/api/stream?streamId=${streamId}&${auth}`, { headers: { 'last-event-id': String(got.at(-1)!.json.seq) } });
          if (reader.status !== 503) break;
          // The instance asked for a retry (Retry-After): what a client does.
          tally.retried++;
          await reader.done;
          why.add(`503 by ${String(reader.headers['x-twin-instance'])} (owner ${String(owner)}, variant ${c % 2}, after ${got.length}): ${reader.errorBody.slice(0, 200)}`);
          reader.close();
        }
        if (reader.status !== 200) {
          await reader.done;
          throw new Error(`resume answered ${reader.status} by ${String(reader.headers['x-twin-instance'])} (owner ${String(owner)}, variant ${c % 2}, after ${got.length} events): ${reader.errorBody}`);
        }
        tally.resumes++;
        if (reader.headers['x-twin-instance'] !== owner) tally.relayed++;
      }
      // The exact stream: seqs 0..n each once, in order, terminal last, the uncut text.
      expect(got.map((e) => e.json.seq)).toEqual(got.map((_, i) => i));
      expect(got.at(-1)?.event).toBe('complete');
      expect(textOf(got)).toBe(uncut.get(prompt));
      streamIds.push(got[0]!.json.streamId as string);
    };

    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < STREAMS) await runOne(next++);
      }),
    );
    expect(streamIds).toHaveLength(STREAMS);
    expect(new Set(streamIds).size).toBe(STREAMS);
    // Most resumes landed on another instance than the stream's (round-robin over three).
    expect(tally.relayed).toBeGreaterThan(tally.resumes / 3);
    console.log(`cluster resume: ${STREAMS} streams, ${tally.resumes} resumes, ${tally.relayed} on another instance, ${tally.retried} retried, ${tally.endedEarly} ended early by the server`);
    // A retry is a legitimate answer (a resume faster than the owner's log on a loaded machine): shown, not failed.
    if (why.size > 0) console.log([...why].slice(0, 3).join('\n'));
    const relayLines = cluster.instances.flatMap((i) => i.server.output().split('\n').filter((l) => l.includes('relay')));
    expect(relayLines.slice(0, 5)).toEqual([]);

    // The event log's Redis cost, from every instance's /metrics.
    const cost = { roundTrips: 0, commands: 0, events: 0 };
    for (const instance of cluster.instances) {
      const text = await (await fetch(`${instance.url}/metrics`)).text();
      const read = (name: string) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
      cost.roundTrips += read('twin_cluster_log_round_trips');
      cost.commands += read('twin_cluster_log_commands');
      cost.events += read('twin_cluster_log_events');
    }
    expect(cost.events).toBeGreaterThan(0);
    console.log(`event log: ${cost.events} events, ${(cost.roundTrips / cost.events).toFixed(3)} round trips and ${(cost.commands / cost.events).toFixed(2)} commands per event`);

    // One bill per stream, each final (the record is written behind the terminal event: wait for it).
    let rows: { stream_id: string; n: number; open: number }[] = [];
    await vi
      .waitFor(
        async () => {
          rows = await sql<{ stream_id: string; n: number; open: number }[]>`
            select stream_id, count(*)::int as n, count(*) filter (where state = 'open')::int as open
            from stream_billing_records where stream_id in ${sql(streamIds)} group by stream_id`;
          expect(rows.length === STREAMS && rows.every((r) => r.open === 0)).toBe(true);
        },
        { timeout: 60_000, interval: 100 },
      )
      .catch(() => undefined); // the assertions below say what is missing
    expect(rows).toHaveLength(STREAMS);
    expect(rows.filter((r) => r.n !== 1)).toEqual([]);
    expect(rows.filter((r) => r.open !== 0)).toEqual([]);
  });

  it('DELETE through another instance aborts the stream on its owner and bills it once', async () => {
    const auth = `api_key=${encodeURIComponent(cluster.key)}`;
    // The slow provider: 4 tokens/s keep it running for seconds.
    const reader = await openSSE(`${cluster.url}/api/stream?prompt=delete+me&provider=slow&${auth}`);
    await reader.waitFor((e) => e.some((x) => x.event === 'chunk'));
    const streamId = reader.events[0]!.json.streamId as string;
    const owner = reader.headers['x-twin-instance'];
    const other = cluster.instances.find((i) => i.id !== owner)!;
    // The cluster-wide active list shows it on every instance.
    for (const instance of cluster.instances) {
      const active = (await (await fetch(`${instance.url}/api/stream/active`, { headers: { authorization: `Bearer ${cluster.key}` } })).json()) as { streams: { id: string }[] };
      expect(active.streams.map((s) => s.id)).toContain(streamId);
    }
    const started = performance.now();
    const res = await fetch(`${other.url}/api/stream/${streamId}`, { method: 'DELETE', headers: { authorization: `Bearer ${cluster.key}` } });
    expect(res.headers.get('x-twin-instance')).toBe(other.id);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { stream: { id: string; status: string }; billing: { state: string; endReason: string } };
    expect(body.stream).toMatchObject({ id: streamId, status: 'aborted' });
    expect(body.billing).toMatchObject({ state: 'final', endReason: 'client_abort' });
    await reader.done;
    const aborted = reader.events.at(-1)!.at - started;
    expect(reader.events.at(-1)).toMatchObject({ event: 'error' });
    expect(reader.events.at(-1)!.json.code).toBe('aborted');
    console.log(`DELETE through another instance: terminal event ${aborted.toFixed(1)} ms after the request`);
    const again = await fetch(`${other.url}/api/stream/${streamId}`, { method: 'DELETE', headers: { authorization: `Bearer ${cluster.key}` } });
    expect([200, 404]).toContain(again.status);
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from stream_billing_records where stream_id = ${streamId}`;
    expect(row!.n).toBe(1);
    // Another tenant neither sees nor closes it.
    const stranger = cluster.createKey('stranger', 'admin');
    const foreign = await fetch(`${other.url}/api/stream/${streamId}`, { method: 'DELETE', headers: { authorization: `Bearer ${stranger}` } });
    expect(foreign.status).toBe(404);
  });
});
