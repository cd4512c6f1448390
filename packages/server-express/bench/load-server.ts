/**
 * The server side of the load benches, run in its own process (forked by sse-load.bench.ts and
 * cluster-load.bench.ts): the Twin router on PGlite with the simulated provider at 10 tokens/s.
 * Reports its RSS, CPU and events over IPC. BENCH_REDIS_URL makes it one instance of a cluster
 * (BENCH_REDIS_PREFIX, BENCH_INSTANCE_ID: as REDIS_URL, TWIN_REDIS_PREFIX, TWIN_INSTANCE_ID do for
 * twin-server); its reports then carry the event log's Redis counters (`twin_cluster_log_*`).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { createServer } from 'node:http';
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSimulatedProvider } from '@twin/core';
import { memorySplit } from './memory-split';
import { sampleRssPeaks } from './rss-peaks';
import pino from 'pino';
import type * as Twin from '../src/index';
import { stampedProvider } from './stamped-provider';
import { limitHeapGrowth } from '../src/cli/heap-growth';
import { threadsCpu, type ThreadCpu } from './process-cpu';
import { Worker } from 'node:worker_threads';

// As `twin-server` runs: the built package (`pnpm bench` builds first). Run from the sources under
// tsx, every closure is also named through esbuild's `__name` (keepNames), which costs CPU on
// every closure made and some 4 KiB of heap per open stream. SERVER_SOURCE=src runs the sources
// (no build needed while iterating; its figures are not comparable).
// SERVER_ENTRY: another build's dist/index.js (an A/B of two builds with this bench's harness).
const entry = process.env.SERVER_ENTRY ?? (process.env.SERVER_SOURCE === 'src' ? '../src/index' : '../dist/index.js');
const { createApiKey, createSlotSleep, createTwinRouter, createTwinService, createTwinStore, eventNow, openDatabase } = (await import(entry)) as typeof Twin;

// As `twin-server` (node dist/cli.js) runs: without source-mapped stack traces. tsx turns them on,
// and Node's http server formats the stack of the ECONNRESET error of every request a client
// aborts, which through source maps costs tens of µs per request.
process.setSourceMapsEnabled(false);

// As `twin-server serve` does first: V8's old-generation growth limited (src/cli/heap-growth.ts;
// SERVER_NODE_FLAGS=--heap-growing-percent=0 measures V8's own).
limitHeapGrowth();

// The statements sent to the embedded database's worker (queries, BEGIN, COMMIT, COPY), counted
// at the one door they all leave by, for ttfb-garbage.ts's statements per request.
let workerMessages = 0;
const messageKinds = new Map<string, number>();
/** TTFB_TRACE_FILE: when each statement was sent to the worker (ns, monotonic), over the traced window. */
let tracedPosts: bigint[] | undefined;
const postMessage = Worker.prototype.postMessage;
Worker.prototype.postMessage = function (this: Worker, ...args: Parameters<Worker['postMessage']>) {
  workerMessages++;
  tracedPosts?.push(process.hrtime.bigint());
  const { op, sql } = args[0] as { op?: string; sql?: string };
  // By statement: its first words (`insert into "stream_events"`, `copy stream_chunks`, …), read
  // from the statement's head only: normalising a whole batch statement's text cost the server's
  // main thread ~18 KB of garbage per paced request, counted as Twin's own.
  const kind = sql === undefined ? String(op) : sql.slice(0, 160).trimStart().replace(/\s+/g, ' ').split(' (')[0]!.slice(0, 48);
  messageKinds.set(kind, (messageKinds.get(kind) ?? 0) + 1);
  return postMessage.apply(this, args);
};

// BENCH_DATABASE_URL runs the same bench on a Postgres server (in a schema of its own) instead of PGlite.
// BENCH_DB_SCHEMA: a schema the instances of a cluster share (whoever names it drops it).
const dataDir = mkdtempSync(join(tmpdir(), 'twin-load-'));
const pgUrl = process.env.BENCH_DATABASE_URL;
const schemaName = process.env.BENCH_DB_SCHEMA ?? `twin_bench_${process.pid}`;
const ownSchema = process.env.BENCH_DB_SCHEMA === undefined;
// The embedded database's share of RSS: what opening it adds (PGlite's worker thread, WASM memory and
// compiled code, first-start initdb leftovers; the postgres driver's pool on a Postgres server).
const beforeDatabase = memorySplit();
const database = await openDatabase(pgUrl ? { url: pgUrl, schemaName } : { dataDir });
const atDatabase = memorySplit();
const databaseRss = atDatabase.rss - beforeDatabase.rss;
const redisUrl = process.env.BENCH_REDIS_URL;
const instanceId = process.env.BENCH_INSTANCE_ID ?? `bench-${process.pid}`;
const logger = pino({ level: 'warn' });
const store = createTwinStore(database.db, { ...(redisUrl ? { instanceId } : {}), onWriteError: (table, err) => logger.warn({ table, err }, 'batch write failed') });
// As the reference server does: the simulated provider's per-token sleeps share one timer (SLOT_SLEEP=0: core's timerSleep).
const provider = stampedProvider(
  createSimulatedProvider({
    tokensPerSecond: Number(process.env.TOKENS_PER_SECOND ?? 10),
    outputTokens: Number(process.env.OUTPUT_TOKENS ?? 500),
    // As serve.ts: the slot's one clock read for the tokens it wakes (`eventNow`; absent from an older SERVER_ENTRY).
    ...(process.env.SLOT_SLEEP === '0' ? {} : { env: { sleep: createSlotSleep(), ...(eventNow ? { now: eventNow } : {}) } }),
  }),
);
const service = await createTwinService({
  store,
  providers: [provider],
  stream: { maxConnections: 20_000, maxConnectionsPerKey: 20_000 },
  // DETACH_GRACE_MS: how long a stream whose client went away keeps running for a resume (unset:
  // the server's default, 30 s). sse-load.bench.ts sets 0 (see there).
  ...(process.env.DETACH_GRACE_MS ? { detachGraceMs: Number(process.env.DETACH_GRACE_MS) } : {}),
  persistChunks: process.env.PERSIST_CHUNKS !== '0',
  // HOLD_FIRST_BYTE=0: content may leave before its billing record commits (to measure what the hold costs).
  holdContentUntilRecorded: process.env.HOLD_FIRST_BYTE !== '0',
  // MAX_EVENT_LOOP_LAG_MS: the server's load shedding (off unless set, as in the reference server).
  ...(process.env.MAX_EVENT_LOOP_LAG_MS ? { maxEventLoopLagMs: Number(process.env.MAX_EVENT_LOOP_LAG_MS) } : {}),
  logger,
  processMetrics: false,
  ...(redisUrl ? { cluster: { redisUrl, instanceId, ...(process.env.BENCH_REDIS_PREFIX ? { keyPrefix: process.env.BENCH_REDIS_PREFIX } : {}) } } : {}),
});
/** A gauge or counter of /metrics (what a scrape reads). */
const metric = async (name: string): Promise<number> => (await service.metrics.registry.getSingleMetric(name)?.get())?.values.reduce((sum, v) => sum + v.value, 0) ?? 0;
const key = (await createApiKey(store, { tenantId: 'bench' })).key;
const router = createTwinRouter({ service });
// TTFB_TRACE_FILE (sse-load.bench.ts): each traced request's accept, request, first write, chunk write and close
// times on the machine's monotonic clock (process.hrtime, as the client's), with the GC pauses and
// a CPU profile of the window. Off unless the bench sends trace-start.
interface TracedRequest { accept: bigint; request: bigint; handlerReturned: bigint; firstWrite: bigint; close: bigint; chunkWrite: bigint }
let tracing = false;
let traced: TracedRequest[] = [];
const acceptedAt = new WeakMap<object, bigint>();
const server = createServer((req, res) => {
  if (!tracing) return router(req as never, res as never, () => res.writeHead(404).end());
  const t: TracedRequest = { accept: acceptedAt.get(req.socket) ?? 0n, request: process.hrtime.bigint(), handlerReturned: 0n, firstWrite: 0n, close: 0n, chunkWrite: 0n };
  traced.push(t);
  // Stamped at the socket (Twin writes its frames to it directly once the headers are out; a
  // replaced res.write would turn that off): the first write and the first one that carries a
  // chunk event (it may still sit in the socket's cork: chunk write → client end tells).
  const socket = req.socket as typeof req.socket & { write: (...a: unknown[]) => boolean };
  const socketWrite = socket.write;
  socket.write = function (this: typeof socket, ...args: unknown[]) {
    const now = process.hrtime.bigint();
    if (t.firstWrite === 0n) t.firstWrite = now;
    if (t.chunkWrite === 0n && String(args[0]).includes('event: chunk')) t.chunkWrite = now;
    return socketWrite.apply(this, args);
  };

  res.once('close', () => (t.close = process.hrtime.bigint()));
  router(req as never, res as never, () => res.writeHead(404).end());
  t.handlerReturned = process.hrtime.bigint();
});
server.on('connection', (socket) => {
  if (tracing) acceptedAt.set(socket, process.hrtime.bigint());
});
server.timeout = 0;
server.listen({ port: 0, host: '127.0.0.1', backlog: 8_192 });
await new Promise((r) => server.once('listening', r));

const rssPeaks = sampleRssPeaks();

// PROFILE_FILE: a CPU profile of exactly the measured window (from the first report, when every stream is
// open, to the second, at the end of the measurement), written with node:inspector.
const profileFile = process.env.PROFILE_FILE;
// ALLOCATION_FILE: a sampling profile of every allocation in the measured window, collected ones
// included (what the garbage collector is kept busy with), for `Heap.*.heapprofile` viewers.
const allocationFile = process.env.ALLOCATION_FILE;
// LIVE_HEAP_FILE: what is still alive when every stream is open, sampled from start-up on (what each
// open stream holds).
const liveHeapFile = process.env.LIVE_HEAP_FILE;
const inspector = profileFile || allocationFile || liveHeapFile ? new Session() : undefined;
inspector?.connect();
let reports = 0;
const post = (method: string, params: object = {}) =>
  new Promise<unknown>((resolve, reject) => inspector!.post(method, params, (err, result) => (err ? reject(err) : resolve(result))));

let tracer: Session | undefined;
const traceSession = () => {
  if (!tracer) {
    tracer = new Session();
    tracer.connect();
  }
  return tracer;
};
const postTo = (session: Session, method: string, params: object = {}) =>
  new Promise<unknown>((resolve, reject) => session.post(method, params, (err, result) => (err ? reject(err) : resolve(result))));

if (liveHeapFile) {
  await post('HeapProfiler.enable');
  await post('HeapProfiler.startSampling', { samplingInterval: 4_096 });
}

let gcPauses: Array<[number, number, number]> = [];
/** CPU ticks (user + system, 1/100 s) of each of this process's threads, by thread id and name. */
const threadTicks = (): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out[`${tid} ${name}`] = Number(fields[11]) + Number(fields[12]);
    } catch {
      // the thread ended
    }
  }
  return out;
};
let traceThreads: Record<string, number> = {};
const profileUs = Number(process.env.TTFB_TRACE_PROFILE_US ?? 100);
let traceCpu = process.cpuUsage();
/** The used bytes of each of V8's heap spaces (new_space: what the scavenger collects). */
const usedBySpace = (): Record<string, number> => Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, s.space_used_size]));
let allocFrom: Record<string, number> = {};
let allocThreads: ThreadCpu[] = [];
let allocMessages = 0;
let allocGcs = 0;
let allocObserver: PerformanceObserver | undefined;
let gcObserver: PerformanceObserver | undefined;
process.on('message', async (message: { type: string; file?: string; client?: unknown }) => {
  if (message.type === 'trace-start') {
    traced = [];
    gcPauses = [];
    // performance.now() is on the monotonic clock from timeOrigin: its offset to hrtime, in ms.
    const offsetMs = Number(process.hrtime.bigint()) / 1e6 - performance.now();
    gcObserver = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) gcPauses.push([e.startTime + offsetMs, e.duration, ((e as unknown as { detail?: { kind?: number } }).detail)?.kind ?? 0]);
    });
    gcObserver.observe({ entryTypes: ['gc'] });
    // TTFB_TRACE_PROFILE_US: the CPU profile's sampling interval (100 µs; 0: no profile, which
    // itself costs the main thread some CPU per sample).
    if (profileUs > 0) {
      const session = traceSession();
      await postTo(session, 'Profiler.enable');
      await postTo(session, 'Profiler.setSamplingInterval', { interval: profileUs });
      await postTo(session, 'Profiler.start');
    }
    // TTFB_TRACE_ALLOCATIONS=1: also a sampling profile of every allocation of the window, collected
    // ones included (<file>.heapprofile): the garbage each request leaves for the scavenger.
    if (process.env.TTFB_TRACE_ALLOCATIONS === '1') {
      await postTo(traceSession(), 'HeapProfiler.enable');
      await postTo(traceSession(), 'HeapProfiler.startSampling', { samplingInterval: 4_096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    }
    traceCpu = process.cpuUsage();
    traceThreads = threadTicks();
    tracedPosts = [];
    tracing = true;
    process.send!({ type: 'trace-started', hrtimeNs: String(process.hrtime.bigint()) });
  } else if (message.type === 'trace-stop') {
    tracing = false;
    const posts = tracedPosts;
    tracedPosts = undefined;
    gcObserver?.disconnect();
    const cpu = process.cpuUsage(traceCpu);
    const threads = Object.fromEntries(Object.entries(threadTicks()).map(([k, v]) => [k, (v - (traceThreads[k] ?? 0)) * 10]).filter(([, v]) => (v as number) > 0));
    if (process.env.TTFB_TRACE_ALLOCATIONS === '1') {
      const { profile } = (await postTo(traceSession(), 'HeapProfiler.stopSampling')) as { profile: unknown };
      writeFileSync(`${message.file!}.heapprofile`, JSON.stringify(profile));
    }
    if (profileUs > 0) {
      const { profile } = (await postTo(traceSession(), 'Profiler.stop')) as { profile: unknown };
      writeFileSync(`${message.file!}.cpuprofile`, JSON.stringify(profile));
    }
    const s = (v: bigint) => String(v);
    writeFileSync(
      `${message.file!}.json`,
      JSON.stringify({
        client: message.client,
        server: traced.map((t) => [s(t.accept), s(t.request), s(t.handlerReturned), s(t.firstWrite), s(t.close), s(t.chunkWrite)]),
        cpuMicros: cpu.user + cpu.system,
        threadCpuMs: threads,
        gc: gcPauses,
        posts: (posts ?? []).map(String),
      }),
    );
    process.send!({ type: 'trace-stopped' });
  } else if (message.type === 'alloc-start') {
    // bench/ttfb-garbage.ts: the bytes the main thread allocates over a window (run with a young
    // generation big enough that nothing is collected in it: then the used heap's growth is exactly
    // what was allocated). ALLOC_PROFILE_INTERVAL: also a sampling profile of those allocations.
    (globalThis as { gc?: () => void }).gc?.();
    allocGcs = 0;
    // Scavenges only (kind 1, NODE_PERFORMANCE_GC_MINOR): the young generation's collections.
    allocObserver ??= new PerformanceObserver((list) => {
      for (const e of list.getEntries()) if ((e as unknown as { detail?: { kind?: number } }).detail?.kind === 1) allocGcs++;
    });
    allocObserver.observe({ entryTypes: ['gc'] });
    const interval = Number(process.env.ALLOC_PROFILE_INTERVAL ?? 0);
    if (interval > 0) {
      await postTo(traceSession(), 'HeapProfiler.enable');
      await postTo(traceSession(), 'HeapProfiler.startSampling', { samplingInterval: interval, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    }
    allocFrom = usedBySpace();
    allocThreads = threadsCpu();
    allocMessages = workerMessages;
    messageKinds.clear();
    process.send!({ type: 'alloc-started' });
  } else if (message.type === 'alloc-stop') {
    const used = usedBySpace();
    allocObserver?.disconnect();
    if (Number(process.env.ALLOC_PROFILE_INTERVAL ?? 0) > 0 && message.file) {
      const { profile } = (await postTo(traceSession(), 'HeapProfiler.stopSampling')) as { profile: unknown };
      writeFileSync(message.file, JSON.stringify(profile));
    }
    // CPU of the main thread, the database's worker (the niced thread) and the rest over the window (ns).
    const was = new Map(allocThreads.map((t) => [t.tid, t.cpuNanos]));
    const cpu = { main: 0, worker: 0, other: 0 };
    for (const t of threadsCpu()) cpu[t.tid === process.pid ? 'main' : t.nice > 0 ? 'worker' : 'other'] += t.cpuNanos - (was.get(t.tid) ?? 0);
    process.send!({
      type: 'alloc-stopped',
      bytes: Object.fromEntries(Object.entries(used).map(([space, bytes]) => [space, bytes - (allocFrom[space] ?? 0)])),
      gcs: allocGcs,
      activeStreams: service.hub.activeStreams,
      cpu,
      workerMessages: workerMessages - allocMessages,
      statementKinds: Object.fromEntries(messageKinds),
    });
  } else if (message.type === 'status') {
    // Polled before the load phase (does not count as a report: those mark the measured window).
    // ttfb-garbage.ts polls it inside its window: no collection there.
    if (!(message as { keepGarbage?: boolean }).keepGarbage) (globalThis as { gc?: () => void }).gc?.();
    process.send!({
      type: 'status',
      activeStreams: service.hub.activeStreams,
      pendingChunkRows: store.chunks.pending,
      // Every row still queued for the database (ttfb-garbage.ts waits for none before it stops a window).
      pendingRows: store.openings.pending + store.events.pending + store.connectionsOpened.pending + store.chunks.pending,
      heldStreams: (service.hub as unknown as { streams: Map<string, unknown> }).streams.size,
      rss: process.memoryUsage().rss,
      heapUsed: process.memoryUsage().heapUsed,
    });
  } else if (message.type === 'report') {
    reports++;
    if (inspector && reports === 1) {
      if (liveHeapFile) {
        const { profile } = (await post('HeapProfiler.stopSampling')) as { profile: unknown };
        writeFileSync(liveHeapFile, JSON.stringify(profile));
      }
      if (profileFile) {
        await post('Profiler.enable');
        await post('Profiler.start');
      }
      if (allocationFile) {
        await post('HeapProfiler.enable');
        // ALLOCATION_SURVIVORS=1: only what survived the young generation (promoted to the old one,
        // garbage of a full collection included): what drives the full collections' marking.
        const survivors = process.env.ALLOCATION_SURVIVORS === '1';
        await post('HeapProfiler.startSampling', { samplingInterval: 16_384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: !survivors });
      }
    } else if (inspector && reports === 2) {
      if (profileFile) {
        const { profile } = (await post('Profiler.stop')) as { profile: unknown };
        writeFileSync(profileFile, JSON.stringify(profile));
      }
      if (allocationFile) {
        const { profile } = (await post('HeapProfiler.stopSampling')) as { profile: unknown };
        writeFileSync(allocationFile, JSON.stringify(profile));
      }
    }
    // With --expose-gc in SERVER_NODE_FLAGS the heap figure is live objects, not garbage not yet collected.
    (globalThis as { gc?: () => void }).gc?.();
    const peaks = rssPeaks.report();
    process.send!({
      type: 'report',
      rss: process.memoryUsage().rss,
      heapUsed: process.memoryUsage().heapUsed,
      external: process.memoryUsage().external,
      cpuMicros: process.cpuUsage().user + process.cpuUsage().system,
      threads: threadsCpu(),
      eventsSent: (await service.metrics.eventsSent.get()).values.reduce((sum, v) => sum + v.value, 0),
      ...peaks,
      memory: memorySplit(),
      activeStreams: service.hub.activeStreams,
      // Every stream the hub holds: running ones and ended ones kept for their resume grace (the TTFB
      // phase's streams, 60 s), whose replay windows are in the heap figure too.
      heldStreams: (service.hub as unknown as { streams: Map<string, unknown> }).streams.size,
      openConnections: service.hub.openConnections,
      pendingChunkRows: store.chunks.pending,
      slowClientCloses: (await service.metrics.slowClientCloses.get()).values[0]?.value ?? 0,
      ...(redisUrl
        ? {
            clusterLog: {
              roundTrips: await metric('twin_cluster_log_round_trips'),
              commands: await metric('twin_cluster_log_commands'),
              events: await metric('twin_cluster_log_events'),
              failedPipelines: await metric('twin_cluster_log_failed_pipelines'),
            },
          }
        : {}),
    });
  } else if (message.type === 'stop') {
    rssPeaks.stop();
    await service.shutdown(20_000);
    server.closeAllConnections();
    server.close();
    await store.close();
    await database.close();
    rmSync(dataDir, { recursive: true, force: true });
    if (pgUrl && ownSchema) {
      const { default: postgres } = await import('postgres');
      const admin = postgres(pgUrl, { max: 1, onnotice: () => {} });
      await admin.unsafe(`DROP SCHEMA IF EXISTS "${schemaName}" CASCADE`);
      await admin.end();
    }
    process.exit(0);
  }
});
process.send!({ type: 'ready', databaseRss, memoryBeforeDatabase: beforeDatabase, memoryAtDatabase: atDatabase, rss: process.memoryUsage().rss, heapUsed: process.memoryUsage().heapUsed, port: (server.address() as AddressInfo).port, key, driver: database.driver });
