/**
 * One load phase of the SSE load benches (sse-load.bench.ts, cluster-load.bench.ts): forks the load
 * generator (load-client.ts) against a URL, and reads the server processes (load-server.ts or the bare
 * peer, over IPC) when every stream is open and at the end of the measurement. Several server
 * processes (a cluster's instances) are read together: their CPU, events and memory are summed.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { MemorySplit } from './memory-split';
import { formatThreadsCpu, type ThreadCpu } from './process-cpu';

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

/** Every process a bench forked: killed when the bench exits, however it exits. */
export const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Forks a bench TypeScript file (through tsx) and keeps it in `children`. */
export function forkBench(file: string, env: Record<string, string | undefined>, nodeFlags: readonly string[] = []): ChildProcess {
  const child = fork(here(file), [], { execArgv: ['--import', 'tsx', ...nodeFlags], env, stdio: 'inherit' });
  children.push(child);
  return child;
}

/**
 * The environment of a load-server.ts process that runs the built packages (see load-server.ts):
 * without the workspace's path aliases tsx would load @twin/core from its sources. SERVER_SOURCE=src
 * keeps the sources.
 */
export function builtServerEnv(env: Record<string, string | undefined>): Record<string, string | undefined> {
  return env.SERVER_SOURCE === 'src' ? { ...env } : { ...env, TSX_TSCONFIG_PATH: here('./tsconfig.dist.json') };
}

/**
 * Tokens each simulated stream must emit to outlive opening, warm-up and measurement: at 10 tokens/s
 * a 500-token answer ends after 50 s, before a slow opening phase is over, and the load would
 * quietly shrink.
 */
export function outputTokensFor(measureMs: number, env: Record<string, string | undefined> = process.env): string {
  return (
    env.OUTPUT_TOKENS ??
    String(Math.ceil(((Number(env.OPEN_BUDGET_MS ?? 60_000) + Number(env.WARMUP_MS ?? 3_000) + measureMs) / 1000 + 30) * Number(env.TOKENS_PER_SECOND ?? 10)))
  );
}

export type Message = { type: string; [key: string]: unknown };
export function nextMessage(child: ChildProcess, type: string, timeoutMs = 120_000): Promise<Message> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${type}" message within ${timeoutMs} ms`)), timeoutMs);
    const onExit = (code: number | null) => reject(new Error(`child exited (${code}) before "${type}"`));
    const onMessage = (m: Message) => {
      if (m.type !== type) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      // Polled in loops (the load bench's settle): a listener left behind per call would pile up.
      child.off('exit', onExit);
      resolve(m);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** The cluster event log's Redis counters (`twin_cluster_log_*` in /metrics). */
export interface ClusterLogCounters {
  roundTrips: number;
  commands: number;
  events: number;
  failedPipelines: number;
}

/** What a server process reports (load-server.ts, bare-sse-server.ts). */
export interface ServerReport {
  rss: number;
  heapUsed: number;
  external: number;
  cpuMicros: number;
  /** CPU per thread (load-server.ts only; a cluster's summed report has none). */
  threads?: ThreadCpu[];
  eventsSent: number;
  /** The process' peak RSS since it started (sampled every 200 ms and at each report). */
  maxRss: number;
  /** The peak RSS since the previous report (the first report: since start). */
  windowMaxRss: number;
  activeStreams: number;
  openConnections: number;
  pendingChunkRows: number;
  slowClientCloses: number;
  /** What its RSS is made of (load-server.ts only; a cluster's summed report has none). */
  memory?: MemorySplit;
  /** Streams the server holds, ended ones in their resume grace included (load-server.ts only). */
  heldStreams?: number;
  /** Cluster mode only. */
  clusterLog?: ClusterLogCounters;
}

const addCounters = (a: ClusterLogCounters | undefined, b: ClusterLogCounters | undefined): ClusterLogCounters | undefined =>
  a && b ? { roundTrips: a.roundTrips + b.roundTrips, commands: a.commands + b.commands, events: a.events + b.events, failedPipelines: a.failedPipelines + b.failedPipelines } : (a ?? b);

/** Asks every server process for a report; sums them (max RSS too: an upper bound of the processes' summed peak). */
export async function report(targets: readonly ChildProcess[]): Promise<ServerReport> {
  const reports = await Promise.all(
    targets.map((t) => {
      const answer = nextMessage(t, 'report');
      t.send({ type: 'report' });
      return answer as unknown as Promise<ServerReport>;
    }),
  );
  return reports.reduce((sum, r) => ({
    rss: sum.rss + r.rss,
    heapUsed: sum.heapUsed + r.heapUsed,
    external: sum.external + r.external,
    cpuMicros: sum.cpuMicros + r.cpuMicros,
    eventsSent: sum.eventsSent + r.eventsSent,
    maxRss: sum.maxRss + r.maxRss,
    windowMaxRss: sum.windowMaxRss + r.windowMaxRss,
    activeStreams: sum.activeStreams + r.activeStreams,
    openConnections: sum.openConnections + r.openConnections,
    pendingChunkRows: sum.pendingChunkRows + r.pendingChunkRows,
    slowClientCloses: sum.slowClientCloses + r.slowClientCloses,
    ...(sum.heldStreams !== undefined && r.heldStreams !== undefined ? { heldStreams: sum.heldStreams + r.heldStreams } : {}),
    ...(addCounters(sum.clusterLog, r.clusterLog) ? { clusterLog: addCounters(sum.clusterLog, r.clusterLog)! } : {}),
  }));
}

/** Stops server processes (their `stop` message) and waits until they are gone. */
export async function stopAll(targets: readonly ChildProcess[]): Promise<void> {
  await Promise.all(
    targets.map((t) => {
      if (t.exitCode !== null) return undefined;
      const gone = new Promise((r) => t.once('exit', r));
      t.send({ type: 'stop' });
      return gone;
    }),
  );
}

export interface LoadFigures {
  streams: number;
  p50: number;
  p99: number;
  max: number;
  eventsPerSecond: number;
  /** Stream tokens delivered per second (each carries its emission stamp; a coalesced chunk carries several). */
  tokensPerSecond: number;
  /** Server CPU (every target's) per event the targets wrote, open to end of measurement. */
  cpuPerEvent: number;
  /**
   * Peak RSS with every stream open: from the report when every stream is open to the end of the
   * measurement. The memory target's figure (RSS at N streams).
   */
  loadMaxRss: number;
  /**
   * Peak RSS over the server's whole run: start-up and, in sse-load.bench.ts, the TTFB phase before
   * the load (thousands of short streams started back to back and kept for their resume grace),
   * whose peak the process' RSS keeps (freed heap and allocator memory are not all handed back).
   */
  maxRss: number;
  openedMs: number;
  /** The targets' summed reports when every stream is open and at the end of the measurement. */
  atOpen: ServerReport;
  atEnd: ServerReport;
  /** The load generator's process id (its CPU is read from /proc by the caller's probe). */
  clientPid: number;
}

export interface LoadOptions<P> {
  /** The server processes, read over IPC. */
  targets: readonly ChildProcess[];
  label: string;
  url: string;
  key: string;
  streams: number;
  measureMs: number;
  /** The targets' summed RSS and heap before the first stream. */
  readyRss: number;
  readyHeap: number;
  /** Extra readings taken together with the targets' reports (a balancer's CPU, Redis's counters). */
  probe?: (clientPid: number) => Promise<P>;
}

/**
 * The load generator against `url`; prints what it measured (opening, memory, server CPU per event,
 * events/s, delivery latency) and returns it, with the probe's readings at the same two moments.
 */
export async function loadTest<P = undefined>(options: LoadOptions<P>): Promise<LoadFigures & { probeAtOpen?: P; probeAtEnd?: P }> {
  const { targets, label, url, key, streams: STREAMS, measureMs: MEASURE_MS, readyRss, readyHeap, probe } = options;
  const client = forkBench('./load-client.ts', { ...process.env, URL_BASE: url, KEY: key, STREAMS: String(STREAMS), MEASURE_MS: String(MEASURE_MS) });
  const opened = await nextMessage(client, 'opened', 600_000);
  console.log(
    `[${label}] opened ${opened.opened as number} of ${STREAMS} streams in ${((opened.openedMs as number) / 1000).toFixed(1)} s (${opened.failures as number} failed; opening stops after OPEN_BUDGET_MS)` +
      ((opened.failures as number) > 0 ? `; failed: ${Object.entries(opened.failureReasons as Record<string, number>).map(([reason, n]) => `${reason} ×${n}`).join(', ')}` : ''),
  );
  const [atOpen, probeAtOpen] = await Promise.all([report(targets), probe?.(client.pid!)]);
  const MiB = 1024 ** 2;
  const perStream = (now: number, before: number) => (((now - before) / Math.max(1, opened.opened as number)) / 1024).toFixed(1);
  console.log(
    `[${label}] memory: before the load phase RSS ${(readyRss / MiB).toFixed(0)} MiB, heap ${(readyHeap / MiB).toFixed(0)} MiB; ` +
      `with ${opened.opened as number} streams open RSS ${(atOpen.rss / MiB).toFixed(0)} MiB, heap ${(atOpen.heapUsed / MiB).toFixed(0)} MiB ` +
      `(per stream: RSS ${perStream(atOpen.rss, readyRss)} KiB, heap ${perStream(atOpen.heapUsed, readyHeap)} KiB); ` +
      `external (Buffers, outside the JS heap) ${(atOpen.external / MiB).toFixed(0)} MiB` +
      (atOpen.heldStreams === undefined ? '' : `; the server holds ${atOpen.heldStreams} streams (ended ones keep their replay window for the resume grace)`),
  );
  const result = await nextMessage(client, 'result', MEASURE_MS + 60_000);
  const [atEnd, probeAtEnd] = await Promise.all([report(targets), probe?.(client.pid!)]);
  const maxRss = Math.max(atOpen.maxRss, atEnd.maxRss);
  const loadMaxRss = Math.max(atOpen.rss, atEnd.windowMaxRss);
  const serverEvents = atEnd.eventsSent - atOpen.eventsSent;
  const serverCpu = atEnd.cpuMicros - atOpen.cpuMicros;
  const cpuPerEvent = serverCpu / Math.max(1, serverEvents);
  console.log(`[${label}] server CPU from open to end of measurement: ${(serverCpu / 1e6).toFixed(1)} s for ${serverEvents} events written = ${cpuPerEvent.toFixed(1)} µs per event`);
  if (targets.length === 1 && atOpen.threads && atEnd.threads) {
    console.log(`[${label}] server CPU per thread: ${formatThreadsCpu(targets[0]!.pid!, atOpen.threads, atEnd.threads, serverEvents)}`);
  }
  console.log(
    `[${label}] load: ${result.streams as number} concurrent streams (of ${result.requested as number} requested), ${(result.eventsPerSecond as number).toFixed(0)} events/s received, ` +
      `${result.samples as number} chunk latencies over ${((result.measuredMs as number) / 1000).toFixed(1)} s`,
  );
  console.log(
    `[${label}] delivery latency (emission → client parsed): p50 ${(result.p50 as number).toFixed(1)} ms, p90 ${(result.p90 as number).toFixed(1)} ms, ` +
      `p99 ${(result.p99 as number).toFixed(1)} ms, max ${(result.max as number).toFixed(1)} ms (target p99 < 100 ms)`,
  );
  console.log(
    `[${label}] server RSS: ${(atEnd.rss / MiB).toFixed(0)} MiB now (JS heap ${(atEnd.heapUsed / MiB).toFixed(0)} MiB), ` +
      `max with every stream open ${(loadMaxRss / MiB).toFixed(0)} MiB (target < ${1.5 * 1024} MiB), max over the whole run ${(maxRss / MiB).toFixed(0)} MiB (start-up and earlier phases included); ` +
      `active streams ${atEnd.activeStreams}, open connections ${atEnd.openConnections}, ` +
      `audit rows queued ${atEnd.pendingChunkRows}, slow-client closes ${atEnd.slowClientCloses}, failures ${result.failures as number}`,
  );
  await new Promise((r) => (client.exitCode === null ? client.once('exit', r) : r(undefined)));
  return {
    streams: result.streams as number,
    p50: result.p50 as number,
    p99: result.p99 as number,
    max: result.max as number,
    eventsPerSecond: result.eventsPerSecond as number,
    tokensPerSecond: ((result.samples as number) * 1000) / (result.measuredMs as number),
    cpuPerEvent,
    loadMaxRss,
    maxRss,
    openedMs: opened.openedMs as number,
    atOpen,
    atEnd,
    clientPid: client.pid!,
    ...(probe ? { probeAtOpen: probeAtOpen as P, probeAtEnd: probeAtEnd as P } : {}),
  };
}
