/**
 * Load bench: 10,000 concurrent SSE streams at 10 events/s each, from a separate load-generator
 * process against the server in its own process (loopback only), then the time to first token the
 * server adds over calling the simulated provider directly, both measured in this run. The peer: the
 * same load generator against a bare node:http SSE server with no logic (bench/bare-sse-server.ts),
 * the floor of what one event on one socket costs on this machine.
 *
 * Targets (2-core machine): p99 delivery latency < 100 ms, server RSS with every stream open (the load phase's
 * peak; the whole run's, TTFB phase included, is printed beside it) < 1.5 GiB and ≤ 2× the peer's plus the
 * embedded database (its share: the RSS opening the database added at start, idle, plus what its WebAssembly memory grew by under load,
 * printed as the RSS split with what each part of the RSS is made of), added TTFB p99 ≤ 5 ms (measured
 * paced, one request every TTFB_INTERVAL_MS, and back to back; the target is judged on the paced figure).
 * Knobs: STREAMS (10000), MEASURE_MS (20000), OUTPUT_TOKENS (long enough for every stream to outlive the run), PERSIST_CHUNKS (1; 0 disables the stream_chunks audit copy),
 * BENCH_DATABASE_URL (run the server on a Postgres server instead of PGlite), SERVER_NODE_FLAGS (extra node flags
 * for the server process, e.g. --expose-gc for live-heap figures), OPEN_BUDGET_MS (60000: stop opening after it),
 * MAX_EVENT_LOOP_LAG_MS (unset: the server's opt-in load shedding off), PEER (1; 0 skips the bare node:http run), PROFILE_FILE (CPU profile of the measured window), LIVE_HEAP_FILE (what is alive once every stream is open), ALLOCATION_FILE (sampled allocations of that window, collected ones too), SLOT_SLEEP (0: core's timerSleep for the simulated provider), TTFB_INTERVAL_MS (10) and TTFB_SAMPLES (2000) for the paced TTFB, HOLD_FIRST_BYTE (1; 0: content may leave before its billing record commits, to measure what the crash-safe hold costs), DETACH_GRACE_MS (0: a stream whose client hung up ends at once, as the peer's does; the server's default is 30 s), SERVER_SOURCE (dist: the built package, as twin-server runs; src: the sources under tsx),
 * LOAD (1; 0 skips both load phases: the TTFB figures alone, Twin's and the bare peer's, in about a minute), TTFB_TRACE_FILE (where
 * Twin's paced TTFB requests spend their time: the client's start and end of each paced request and the server's
 * accept, request, first-write and close times, its GC pauses and a CPU profile sampled every 100 µs over the
 * paced window, all on the machine's monotonic clock; written to <file>.json and <file>.cpuprofile, read by
 * bench/ttfb-trace-report.ts).
 */
import { Bench } from 'tinybench';
import { createSimulatedProvider } from '@twin/core';
import { builtServerEnv, forkBench, loadTest, nextMessage, outputTokensFor, stopAll, type Message } from './load-run';
import { firstChunkOverSSE as firstChunk } from './first-chunk-over-sse';
import { formatMemorySplit, type MemorySplit } from './memory-split';

const STREAMS = Number(process.env.STREAMS ?? 10_000);
const MEASURE_MS = Number(process.env.MEASURE_MS ?? 20_000);
// Both servers read OUTPUT_TOKENS from the environment they inherit.
process.env.OUTPUT_TOKENS = outputTokensFor(MEASURE_MS);
// The TTFB probes hang up at their first chunk. With the server's default detach grace (30 s) each
// of those streams kept running for a resume nobody makes: a paced run of 2,000 probes measured its
// last requests against some 2,000 detached streams (20,000 events/s into their replay windows and
// audit segments), where the bare peer stops a stream when its client goes. 0: a probe's stream
// ends and is billed when its client hangs up, as on the peer. DETACH_GRACE_MS=30000 restores it.
process.env.DETACH_GRACE_MS ??= '0';
const GiB = 1024 ** 3;

const started = performance.now();
// The server runs the built packages (see load-server.ts).
const server = forkBench('./load-server.ts', builtServerEnv(process.env), (process.env.SERVER_NODE_FLAGS ?? '').split(' ').filter(Boolean));
const ready = await nextMessage(server, 'ready', 600_000); // a loaded machine can take minutes to start PGlite
const url = `http://127.0.0.1:${ready.port as number}`;
console.log(`server: ${ready.driver as string} storage, simulated provider at 10 tokens/s, persistChunks=${process.env.PERSIST_CHUNKS !== '0'}`);
const key = ready.key as string;

// ── 1. TTFB the server adds, unloaded: first chunk over SSE vs first text part from the provider ──
const direct = createSimulatedProvider({ tokensPerSecond: 10, outputTokens: 500 });
let ttfbRefused = 0;
const firstChunkOverSSE = (base: string, auth: string) => () => firstChunk(`${base}/api/stream?prompt=ttfb`, auth, () => ttfbRefused++);
// Paced: one request every TTFB_INTERVAL_MS (10 ms), each started after the previous one's first
// chunk, so a request meets a server that is not still tearing down and billing the hundreds of
// streams per second that back-to-back requests start and abort. The TTFB one request gets from the
// server; back to back (tinybench, below) is the same figure under that churn.
const TTFB_INTERVAL_MS = Number(process.env.TTFB_INTERVAL_MS ?? 10);
const TTFB_SAMPLES = Number(process.env.TTFB_SAMPLES ?? 2_000);
/** Each paced request's start and end on the machine's monotonic clock (ns), for TTFB_TRACE_FILE. */
let pacedSpans: Array<[bigint, bigint]> = [];
async function pacedLatencies(task: () => Promise<void>, beforeTimed?: () => Promise<void>): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < 100; i++) await task(); // warm-up
  await beforeTimed?.();
  const samples: number[] = [];
  pacedSpans = [];
  for (let i = 0; i < TTFB_SAMPLES; i++) {
    const start = process.hrtime.bigint();
    const t0 = performance.now();
    await task();
    samples.push(performance.now() - t0);
    pacedSpans.push([start, process.hrtime.bigint()]);
    await new Promise((resolve) => setTimeout(resolve, TTFB_INTERVAL_MS));
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
  return { p50: at(0.5), p99: at(0.99) };
}
const directFirstToken = async () => {
  const controller = new AbortController();
  for await (const part of direct.stream({ messages: [{ role: 'user', content: 'ttfb' }] }, { signal: controller.signal })) {
    if (part.type === 'text-delta') break;
  }
  controller.abort();
};
const bench = new Bench({ name: 'time to first token', time: 3_000, warmupTime: 500 });
bench
  .add('simulated provider, called directly', directFirstToken)
  .add('through twin-server (HTTP + SSE, first chunk event)', firstChunkOverSSE(url, key));
await bench.run();
console.table(bench.table());
const [d, s] = bench.tasks.map((t) => t.result as unknown as { latency: { p50: number; p99: number } });
const addedP50 = s!.latency.p50 - d!.latency.p50;
const addedP99 = s!.latency.p99 - d!.latency.p99;
console.log(
  `TTFB, back to back: direct p50 ${d!.latency.p50.toFixed(3)} ms, p99 ${d!.latency.p99.toFixed(3)} ms; through the server p50 ${s!.latency.p50.toFixed(3)} ms, p99 ${s!.latency.p99.toFixed(3)} ms; ` +
    `added p50 ${addedP50.toFixed(2)} ms, added p99 ${addedP99.toFixed(2)} ms — ratio of medians ${(s!.latency.p50 / d!.latency.p50).toFixed(1)}×` +
    (ttfbRefused > 0 ? `; ${ttfbRefused} of the timed requests were refused (503) and are timed to their refusal` : ''),
);
/** Waits until the streams the TTFB requests started have ended and billed, and their audit rows landed. */
async function settle(): Promise<void> {
  for (let waited = 0; waited < 30_000; waited += 250) {
    server.send({ type: 'status' });
    const r = await nextMessage(server, 'status');
    if ((r.activeStreams as number) === 0 && (r.pendingChunkRows as number) === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
// Paced after back to back: those requests warmed the server up (JIT), and it has settled.
await settle();
const pacedDirect = await pacedLatencies(directFirstToken);
const traceFile = process.env.TTFB_TRACE_FILE;
const pacedServer = await pacedLatencies(
  firstChunkOverSSE(url, key),
  traceFile
    ? async () => {
        server.send({ type: 'trace-start' });
        await nextMessage(server, 'trace-started');
      }
    : undefined,
);
if (traceFile) {
  server.send({ type: 'trace-stop', file: traceFile, client: pacedSpans.map(([a, b]) => [String(a), String(b)]) });
  await nextMessage(server, 'trace-stopped');
  console.log(`TTFB trace written to ${traceFile}.json and ${traceFile}.cpuprofile (read it with bench/ttfb-trace-report.ts)`);
}
const pacedAddedP50 = pacedServer.p50 - pacedDirect.p50;
const pacedAddedP99 = pacedServer.p99 - pacedDirect.p99;
console.log(
  `TTFB, one request every ${TTFB_INTERVAL_MS} ms (${TTFB_SAMPLES} each): direct p50 ${pacedDirect.p50.toFixed(3)} ms, p99 ${pacedDirect.p99.toFixed(3)} ms; ` +
    `through the server p50 ${pacedServer.p50.toFixed(3)} ms, p99 ${pacedServer.p99.toFixed(3)} ms; added p50 ${pacedAddedP50.toFixed(2)} ms, added p99 ${pacedAddedP99.toFixed(2)} ms (target ≤ 5 ms)`,
);

// Settled again before the load phase, so those endings do not count in its CPU per event.
await settle();
// And the ended TTFB streams forgotten (the server keeps an ended stream resumable for 60 s), so the
// heap per open stream counts the load phase's streams only. The baseline is taken after that.
async function forgotten(): Promise<Message> {
  for (let waited = 0; ; waited += 1_000) {
    server.send({ type: 'status' });
    const r = await nextMessage(server, 'status');
    if ((r.heldStreams as number) === 0 || waited >= 90_000) return r;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}
const runLoad = process.env.LOAD !== '0';
const beforeLoad = runLoad ? await forgotten() : undefined;

// ── 2. 10,000 concurrent streams from a separate load-generator process ──
if (!runLoad) {
  await stopAll([server]);
  if (process.env.PEER === '0') process.exit(0);
  const bare = forkBench('./bare-sse-server.ts', { ...process.env });
  const bareReady = await nextMessage(bare, 'ready', 600_000);
  const bareUrl = `http://127.0.0.1:${bareReady.port as number}`;
  // Warmed as Twin's paced run was (back to back first), then the same paced run.
  const warm = new Bench({ name: 'bare warm-up', time: 3_000, warmupTime: 500 });
  warm.add('bare', firstChunkOverSSE(bareUrl, 'none'));
  await warm.run();
  const pacedBare = await pacedLatencies(firstChunkOverSSE(bareUrl, 'none'));
  await stopAll([bare]);
  console.log(
    `TTFB through bare node:http: paced p50 ${pacedBare.p50.toFixed(3)} ms, p99 ${pacedBare.p99.toFixed(3)} ms. ` +
      `Twin's own share of its added TTFB (Twin − bare): paced p50 ${(pacedServer.p50 - pacedBare.p50).toFixed(2)} ms, p99 ${(pacedServer.p99 - pacedBare.p99).toFixed(2)} ms (LOAD=0: no load phase)`,
  );
  process.exit(0);
}
const twin = await loadTest({ targets: [server], label: 'twin', url, key, streams: STREAMS, measureMs: MEASURE_MS, readyRss: beforeLoad!.rss as number, readyHeap: beforeLoad!.heapUsed as number });
await stopAll([server]);
// What Twin's RSS is made of (bench/memory-split.ts), at start and under load.
const atDatabase = ready.memoryAtDatabase as MemorySplit;
console.log(`twin memory before opening the database: ${formatMemorySplit(ready.memoryBeforeDatabase as MemorySplit)}`);
console.log(`twin memory with the database open (idle, at start): ${formatMemorySplit(atDatabase)}`);
for (const [when, at] of [
  [`with ${twin.streams} streams open`, twin.atOpen],
  ['at the end of the measurement', twin.atEnd],
] as const) {
  if (at.memory) console.log(`twin memory ${when}: ${formatMemorySplit(at.memory)}`);
}

// ── 3. The peer: a bare node:http SSE server (no logic) under the same load, same machine, same run ──
if (process.env.PEER === '0') process.exit(0); // quick runs while profiling Twin alone
const bare = forkBench('./bare-sse-server.ts', { ...process.env });
const bareReady = await nextMessage(bare, 'ready', 600_000);
// The same first-chunk measurement against the bare server (it writes its first chunk at once, as
// Twin does): what a new connection, HTTP and SSE parsing cost on their own on this machine.
const bareTtfb = new Bench({ name: 'time to first chunk, bare node:http', time: 3_000, warmupTime: 500 });
bareTtfb.add('through bare node:http (HTTP + SSE, first chunk event)', firstChunkOverSSE(`http://127.0.0.1:${bareReady.port as number}`, 'none'));
await bareTtfb.run();
const b = bareTtfb.tasks[0]!.result as unknown as { latency: { p50: number; p99: number } };
const pacedBare = await pacedLatencies(firstChunkOverSSE(`http://127.0.0.1:${bareReady.port as number}`, 'none'));
console.log(
  `TTFB through bare node:http: paced p50 ${pacedBare.p50.toFixed(3)} ms, p99 ${pacedBare.p99.toFixed(3)} ms; back to back p50 ${b.latency.p50.toFixed(3)} ms, p99 ${b.latency.p99.toFixed(3)} ms. ` +
    `Twin's own share of its added TTFB (Twin − bare): paced p50 ${(pacedServer.p50 - pacedBare.p50).toFixed(2)} ms, p99 ${(pacedServer.p99 - pacedBare.p99).toFixed(2)} ms; ` +
    `back to back p50 ${(s!.latency.p50 - b.latency.p50).toFixed(2)} ms, p99 ${(s!.latency.p99 - b.latency.p99).toFixed(2)} ms`,
);
const peer = await loadTest({
  targets: [bare],
  label: 'bare node:http',
  url: `http://127.0.0.1:${bareReady.port as number}`,
  key: 'none',
  streams: STREAMS,
  measureMs: MEASURE_MS,
  readyRss: bareReady.rss as number,
  readyHeap: bareReady.heapUsed as number,
});
await stopAll([bare]);

const MiB = 1024 ** 2;
console.log(
  `twin vs bare node:http at ${STREAMS} streams: CPU per event ${twin.cpuPerEvent.toFixed(1)} vs ${peer.cpuPerEvent.toFixed(1)} µs (${(twin.cpuPerEvent / peer.cpuPerEvent).toFixed(1)}×); ` +
    `events/s ${twin.eventsPerSecond.toFixed(0)} vs ${peer.eventsPerSecond.toFixed(0)}; p50 ${twin.p50.toFixed(1)} vs ${peer.p50.toFixed(1)} ms; p99 ${twin.p99.toFixed(1)} vs ${peer.p99.toFixed(1)} ms; ` +
    `RSS with every stream open (max) ${(twin.loadMaxRss / MiB).toFixed(0)} vs ${(peer.loadMaxRss / MiB).toFixed(0)} MiB; max over the whole run ${(twin.maxRss / MiB).toFixed(0)} vs ${(peer.maxRss / MiB).toFixed(0)} MiB`,
);
// RSS split (see the header): the database's share is what opening it added at start, idle, plus
// what its WebAssembly memory (PGlite's pages, the one part of the database told apart in a
// process's mappings) grew by under load; the rest is judged against 2× the peer. What else the
// database's worker thread grows by under load (its V8 heap, its allocations) is not told apart
// from the main thread's and counts as the rest. The target's figure is the RSS at N streams (the
// load phase's peak); the whole run's peak (the TTFB phase's thousands of short streams before it)
// is printed beside it.
const wasmGrowth = Math.max(0, (twin.atEnd.memory?.wasm ?? atDatabase.wasm) - atDatabase.wasm);
const dbRss = (ready.databaseRss as number) + wasmGrowth;
const split = (twinRss: number, peerRss: number) =>
  `embedded database ${(dbRss / MiB).toFixed(0)} MiB (${((ready.databaseRss as number) / MiB).toFixed(0)} at start + ${(wasmGrowth / MiB).toFixed(0)} of WebAssembly memory grown under load) + rest ${((twinRss - dbRss) / MiB).toFixed(0)} MiB; rest ≤ 2× peer (${((2 * peerRss) / MiB).toFixed(0)} MiB): ${twinRss - dbRss <= 2 * peerRss ? 'PASS' : 'MISS'}`;
console.log(`twin RSS split with ${twin.streams} streams open (max of the load phase, the target's figure): ${split(twin.loadMaxRss, peer.loadMaxRss)}`);
console.log(`twin RSS split, max over the whole run (TTFB phase included; the peer's whole run too): ${split(twin.maxRss, peer.maxRss)}`);
const pass = (ok: boolean) => (ok ? 'PASS' : 'MISS');
console.log(
  `targets (twin): p99 latency ${pass(twin.p99 < 100)}, RSS ${pass(twin.loadMaxRss < 1.5 * GiB)} (${(twin.loadMaxRss / MiB).toFixed(0)} MiB with every stream open; whole run ${(twin.maxRss / MiB).toFixed(0)} MiB), added TTFB p99 ${pass(pacedAddedP99 <= 5)} ` +
    `(${pacedAddedP99.toFixed(2)} ms paced; back to back ${addedP99.toFixed(2)} ms); ` +
    `bench took ${((performance.now() - started) / 1000).toFixed(0)} s`,
);
