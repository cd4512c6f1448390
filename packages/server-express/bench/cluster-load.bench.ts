/**
 * Cluster load bench: the load generator of the SSE load bench (load-client.ts: concurrent SSE
 * streams at 10 events/s, delivery latency from the provider's emission stamps, every event counted)
 * in one run against
 *   - one Twin process without Redis (single-process mode), directly;
 *   - 1 and 2 Twin instances in cluster mode (one Redis, one Postgres schema they share) behind
 *     HAProxy (round-robin, no stickiness: test/cluster/load-balancer.ts's config; CLUSTER_BALANCER=nginx
 *     for nginx);
 *   - the bare node:http peer (bare-sse-server.ts): the floor of one event on one socket.
 * Every Twin server is load-server.ts (the Twin router, the stamped simulated provider) on Postgres.
 *
 * Printed for each: tokens/s delivered vs scheduled, server CPU per event (every instance's, summed;
 * the balancer's, Redis's own and the load generator's apart), delivery p50/p99, and for the cluster
 * runs the Redis cost per event: the event log's round trips and commands (`twin_cluster_log_*`, as
 * /metrics shows them), every Redis command the instances sent (INFO commandstats deltas), and the
 * server CPU that Redis work costs (cluster minus single-process CPU per event).
 *
 * Redis: a private redis-server on a free port, so INFO commandstats and its CPU are this bench's
 * alone; CLUSTER_REDIS_URL uses another one (key prefix of this run; its INFO figures then include
 * every other client's). Postgres: BENCH_DATABASE_URL (default the test Postgres), a schema per run,
 * dropped after.
 * Knobs: CLUSTER_STREAMS (1500), CLUSTER_MEASURE_MS (10000), CLUSTER_INSTANCES (1,2), CLUSTER_BALANCER
 * (haproxy), CLUSTER_REDIS_URL, BENCH_DATABASE_URL, BENCH_TAG (in schema and key prefix names), PEER
 * (0 skips the bare peer), and the load generator's WARMUP_MS (3000), OPEN_BUDGET_MS (60000),
 * TOKENS_PER_SECOND (10), PERSIST_CHUNKS (1).
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { redisReachable } from '../test/cluster/cluster-harness';
import { freePort } from '../test/free-port';
import { HAPROXY, NGINX, startLoadBalancer, type LoadBalancer } from '../test/cluster/load-balancer';
import { REDIS_SERVER, startRedisProcess, type RedisProcess } from '../test/cluster/redis-process';
import { POSTGRES_TEST_URL, postgresReachable } from '../test/postgres-test-database';
import { dropKeys } from '../test/redis-test-server';
import { builtServerEnv, forkBench, loadTest, nextMessage, outputTokensFor, stopAll, type LoadFigures } from './load-run';
import { processTreeCpuMicros } from './process-cpu';
import { commandDelta, readRedisCost, type RedisCost } from './redis-cost';

const STREAMS = Number(process.env.CLUSTER_STREAMS ?? 1_500);
const MEASURE_MS = Number(process.env.CLUSTER_MEASURE_MS ?? 10_000);
const SIZES = (process.env.CLUSTER_INSTANCES ?? '1,2').split(',').map(Number).filter((n) => n > 0);
const BALANCER = process.env.CLUSTER_BALANCER === 'nginx' ? 'nginx' : 'haproxy';
const TOKENS_PER_SECOND = Number(process.env.TOKENS_PER_SECOND ?? 10);
const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? POSTGRES_TEST_URL;
const TAG = `${(process.env.BENCH_TAG ?? 'run').toLowerCase().replace(/[^a-z0-9]/g, '')}_${process.pid}_${Math.random().toString(36).slice(2, 6)}`;

/** What this bench needs and the machine lacks. */
async function missingParts(): Promise<string[]> {
  const missing: string[] = [];
  const balancer = BALANCER === 'haproxy' ? HAPROXY : NGINX;
  if (!existsSync(balancer)) missing.push(`${balancer} (apt-get install ${BALANCER})`);
  if (process.env.CLUSTER_REDIS_URL ? !(await redisReachable(process.env.CLUSTER_REDIS_URL)) : !existsSync(REDIS_SERVER)) {
    missing.push(process.env.CLUSTER_REDIS_URL ? `Redis at ${process.env.CLUSTER_REDIS_URL}` : `${REDIS_SERVER} (apt-get install redis-server)`);
  }
  if (!(await postgresReachable(DATABASE_URL))) missing.push(`Postgres at ${DATABASE_URL}`);
  return missing;
}

/** Readings taken with the servers' reports, when every stream is open and at the end. */
interface Probe {
  clientCpu: number;
  balancerCpu: number;
  redis: RedisCost;
}

interface Row {
  label: string;
  figures: LoadFigures & { probeAtOpen?: Probe; probeAtEnd?: Probe };
  /** Server events written between the two readings (every instance). */
  events: number;
  balancer: boolean;
  redis: boolean;
}

// The servers' environment: this bench's, minus any cluster setting a caller's shell may hold.
const clusterSettings = new Set(['BENCH_REDIS_URL', 'BENCH_REDIS_PREFIX', 'BENCH_INSTANCE_ID', 'BENCH_DB_SCHEMA']);
const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !clusterSettings.has(name)));
// The Twin servers run the built packages, as twin-server does (SERVER_SOURCE=src: the sources).
const serverEnv = builtServerEnv({ ...inherited, BENCH_DATABASE_URL: DATABASE_URL, OUTPUT_TOKENS: outputTokensFor(MEASURE_MS) });

/**
 * Starts `count` load-server processes on one Postgres schema (cluster mode when `redisUrl` is given):
 * the first alone (it applies the migrations), the others together.
 */
async function startServers(count: number, schema: string, cluster?: { redisUrl: string; prefix: string }): Promise<{ targets: ChildProcess[]; ready: Array<Record<string, unknown>> }> {
  const start = async (i: number) => {
    const child = forkBench('./load-server.ts', {
      ...serverEnv,
      BENCH_DB_SCHEMA: schema,
      ...(cluster ? { BENCH_REDIS_URL: cluster.redisUrl, BENCH_REDIS_PREFIX: cluster.prefix, BENCH_INSTANCE_ID: `bench-i${i}` } : {}),
    });
    return { child, ready: await nextMessage(child, 'ready', 600_000) };
  };
  const first = await start(1);
  const rest = await Promise.all(Array.from({ length: count - 1 }, (_, i) => start(i + 2)));
  const all = [first, ...rest];
  return { targets: all.map((s) => s.child), ready: all.map((s) => s.ready) };
}

async function dropSchema(schema: string): Promise<void> {
  const admin = postgres(DATABASE_URL, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await admin.end({ timeout: 2 });
  }
}

/** One configuration under load: `instances` 0 is the single process without Redis, direct; the bare peer is `bare`. */
async function measure(label: string, kind: 'single' | 'cluster' | 'bare', instances: number, redis: Redis, redisUrl: string): Promise<Row> {
  const schema = `twin_bench_${TAG}_${label.replace(/[^a-z0-9]/g, '')}`;
  const prefix = `twin-bench:${TAG}:${label.replace(/[^a-z0-9]/g, '')}:`;
  let targets: ChildProcess[] = [];
  let balancer: LoadBalancer | undefined;
  try {
    let ready: Array<Record<string, unknown>>;
    if (kind === 'bare') {
      const bare = forkBench('./bare-sse-server.ts', serverEnv);
      targets = [bare];
      ready = [await nextMessage(bare, 'ready', 600_000)];
    } else {
      ({ targets, ready } = await startServers(kind === 'single' ? 1 : instances, schema, kind === 'cluster' ? { redisUrl, prefix } : undefined));
    }
    const direct = `http://127.0.0.1:${ready[0]!.port as number}`;
    if (kind === 'cluster') balancer = await startLoadBalancer(BALANCER, ready.map((r) => `127.0.0.1:${r.port as number}`));
    const probe = async (clientPid: number): Promise<Probe> => ({
      clientCpu: processTreeCpuMicros(clientPid),
      balancerCpu: balancer ? processTreeCpuMicros(balancer.pid) : 0,
      redis: await readRedisCost(redis),
    });
    const figures = await loadTest({
      targets,
      label,
      url: balancer?.url ?? direct,
      key: ready[0]!.key as string,
      streams: STREAMS,
      measureMs: MEASURE_MS,
      readyRss: ready.reduce((sum, r) => sum + (r.rss as number), 0),
      readyHeap: ready.reduce((sum, r) => sum + (r.heapUsed as number), 0),
      probe,
    });
    // A balancer's 503 while it has marked every instance down (health checks timing out on a
    // starved machine) is the balancer's: say so next to the failures it causes.
    const notices = balancer?.output().split('\n').filter((line) => / is (DOWN|UP)\b/.test(line)) ?? [];
    if (notices.length > 0) console.log(`[${label}] ${BALANCER}: ${notices.map((line) => line.replace(/^.*?(Server \S+ is)/, '$1').slice(0, 160)).join(' | ')}`);
    return {
      label,
      figures,
      events: figures.atEnd.eventsSent - figures.atOpen.eventsSent,
      balancer: balancer !== undefined,
      redis: kind === 'cluster',
    };
  } finally {
    await balancer?.stop();
    await stopAll(targets);
    if (kind !== 'bare') await dropSchema(schema);
    if (kind === 'cluster') await dropKeys(redis, prefix);
  }
}

const perEvent = (row: Row, micros: number) => micros / Math.max(1, row.events);
const delta = (row: Row, pick: (p: Probe) => number) => pick(row.figures.probeAtEnd!) - pick(row.figures.probeAtOpen!);
const serverCpu = (row: Row) => row.figures.atEnd.cpuMicros - row.figures.atOpen.cpuMicros;
/**
 * Streams one core of server CPU carries at TOKENS_PER_SECOND, one event per token (what Twin writes
 * when it keeps up; a starved server coalesces tokens into fewer events, so its own events per
 * stream-second would flatter it).
 */
const streamsPerCore = (row: Row) => Math.floor(1e6 / (perEvent(row, serverCpu(row)) * TOKENS_PER_SECOND));

function summarize(rows: Row[]): void {
  const f1 = (n: number) => n.toFixed(1);
  const f2 = (n: number) => (n === 0 || n >= 0.1 ? n.toFixed(2) : n.toPrecision(2));
  console.table(
    Object.fromEntries(
      rows.map((row) => {
        const f = row.figures;
        const scheduled = f.streams * TOKENS_PER_SECOND;
        const log = f.atEnd.clusterLog && f.atOpen.clusterLog;
        const logDelta = (k: 'roundTrips' | 'commands') => (f.atEnd.clusterLog?.[k] ?? 0) - (f.atOpen.clusterLog?.[k] ?? 0);
        const redisCommands = commandDelta(row.figures.probeAtOpen!.redis, row.figures.probeAtEnd!.redis).reduce((sum, [, calls]) => sum + calls, 0);
        return [
          row.label,
          {
            streams: f.streams,
            'tokens/s delivered': Math.round(f.tokensPerSecond),
            'of scheduled': `${Math.round(scheduled)} (${((100 * f.tokensPerSecond) / scheduled).toFixed(0)}%)`,
            'events/s': Math.round(f.eventsPerSecond),
            'server µs/event': f1(perEvent(row, serverCpu(row))),
            'balancer µs/event': row.balancer ? f1(perEvent(row, delta(row, (p) => p.balancerCpu))) : '-',
            'redis-server µs/event': row.redis ? f1(perEvent(row, delta(row, (p) => p.redis.cpuMicros))) : '-',
            'load gen µs/event': f1(perEvent(row, delta(row, (p) => p.clientCpu))),
            'p50 ms': f1(f.p50),
            'p99 ms': f1(f.p99),
            'log trips/event': log ? f2(logDelta('roundTrips') / row.events) : '-',
            'log cmds/event': log ? f2(logDelta('commands') / row.events) : '-',
            'redis cmds/event': row.redis ? f2(redisCommands / row.events) : '-',
            'streams/core': streamsPerCore(row),
          },
        ];
      }),
    ),
  );
  console.log(
    'server µs/event: CPU of every Twin process (summed) / events they wrote, from every stream open to the end of measurement; balancer, redis-server and the load generator apart. ' +
      `streams/core: streams at ${TOKENS_PER_SECOND} tokens/s (one event each) that one core of server CPU carries at that cost (1 s / (µs per event × ${TOKENS_PER_SECOND})).`,
  );
  const single = rows.find((r) => r.label === 'single');
  for (const row of rows.filter((r) => r.redis)) {
    const commands = commandDelta(row.figures.probeAtOpen!.redis, row.figures.probeAtEnd!.redis);
    const total = commands.reduce((sum, [, calls]) => sum + calls, 0);
    const logTrips = (row.figures.atEnd.clusterLog?.roundTrips ?? 0) - (row.figures.atOpen.clusterLog?.roundTrips ?? 0);
    const logCommands = (row.figures.atEnd.clusterLog?.commands ?? 0) - (row.figures.atOpen.clusterLog?.commands ?? 0);
    const logEvents = (row.figures.atEnd.clusterLog?.events ?? 0) - (row.figures.atOpen.clusterLog?.events ?? 0);
    const failedPipelines = (row.figures.atEnd.clusterLog?.failedPipelines ?? 0) - (row.figures.atOpen.clusterLog?.failedPipelines ?? 0);
    const redisWork = single ? perEvent(row, serverCpu(row)) - perEvent(single, serverCpu(single)) : NaN;
    console.log(
      `[${row.label}] Redis cost per event (${row.events} events written): ` +
        (single ? `server CPU in Redis work ≈ ${f1(redisWork)} µs (its ${f1(perEvent(row, serverCpu(row)))} − single's ${f1(perEvent(single, serverCpu(single)))}); ` : '') +
        `redis-server's own CPU ${f1(perEvent(row, delta(row, (p) => p.redis.cpuMicros)))} µs; ` +
        `event log ${f2(logTrips / row.events)} round trips and ${f2(logCommands / row.events)} commands (${logEvents} events logged, ${f1(logEvents / Math.max(1, logTrips))} per pipeline` +
        (failedPipelines > 0 ? `, ${failedPipelines} pipelines failed` : '') +
        '); ' +
        `every command of the instances (INFO commandstats) ${f2(total / row.events)}: ${commands
          .slice(0, 6)
          .map(([command, calls]) => `${command} ${f2(calls / row.events)}`)
          .join(', ')}` +
        (process.env.CLUSTER_REDIS_URL ? ' (a shared Redis: other clients included)' : ''),
    );
  }
  const bare = rows.find((r) => r.label === 'bare node:http');
  if (bare && single) {
    console.log(
      `reference, same run: bare node:http ${f1(perEvent(bare, serverCpu(bare)))} µs/event, p99 ${f1(bare.figures.p99)} ms; ` +
        rows
          .filter((r) => r !== bare)
          .map((r) => `${r.label} ${(perEvent(r, serverCpu(r)) / perEvent(bare, serverCpu(bare))).toFixed(1)}× bare`)
          .join(', '),
    );
  }
}

const missing = await missingParts();
if (missing.length > 0) {
  console.log(`cluster load bench skipped: missing ${missing.join(', ')}`);
} else {
  const started = performance.now();
  const load = loadavg();
  console.log(
    `${cpus().length} cores, load average ${load.map((l) => l.toFixed(2)).join(' ')} at start; ${STREAMS} streams at ${TOKENS_PER_SECOND} tokens/s, ` +
      `${MEASURE_MS / 1000} s measured; Twin on Postgres (${new URL(DATABASE_URL).host}), persistChunks=${process.env.PERSIST_CHUNKS !== '0'}; ` +
      `cluster behind ${BALANCER}, Redis ${process.env.CLUSTER_REDIS_URL ? process.env.CLUSTER_REDIS_URL : 'a private redis-server'}`,
  );
  let privateRedis: RedisProcess | undefined;
  const redisUrl = process.env.CLUSTER_REDIS_URL ?? (privateRedis = await startRedisProcess(await freePort())).url;
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
  try {
    const rows: Row[] = [await measure('single', 'single', 1, redis, redisUrl)];
    for (const n of SIZES) rows.push(await measure(`cluster x${n}`, 'cluster', n, redis, redisUrl));
    if (process.env.PEER !== '0') rows.push(await measure('bare node:http', 'bare', 1, redis, redisUrl));
    summarize(rows);
  } finally {
    redis.disconnect();
    await privateRedis?.kill();
  }
  console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} at the end; bench took ${((performance.now() - started) / 1000).toFixed(0)} s`);
}
