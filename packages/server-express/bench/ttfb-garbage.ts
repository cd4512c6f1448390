/**
 * The garbage one paced TTFB request leaves on the server's main thread, measured exactly: the
 * built server (load-server.ts) runs with a young generation big enough that nothing is collected
 * over the window, so the used heap's growth is every byte allocated. Paced requests as sse-load's
 * (one every TTFB_INTERVAL_MS, each hanging up at its first chunk, its stream then ended and billed),
 * then the same window with no requests (the timers' own allocations), subtracted. The scavenger
 * runs once per semi-space of garbage, so bytes per request × requests per second is how often a
 * paced request meets a scavenge. Beside the bytes: the statements sent to the embedded database's
 * worker per request and the CPU of its thread (and the main thread's) per request, each less the
 * idle window's.
 *
 * `pnpm exec tsx bench/ttfb-garbage.ts` in packages/server-express (built first). Knobs: SAMPLES
 * (1000), ROUNDS (3: windows measured, medians printed), TTFB_INTERVAL_MS (10), SEMI_SPACE_MB (512; 0: V8's own, to count the scavenges a paced request meets),
 * SERVER_ENTRY (another build's dist/index.js, for an A/B with this harness), ALLOC_PROFILE_FILE (also a sampling allocation profile of one more window, `.heapprofile`, with
 * ALLOC_PROFILE_INTERVAL bytes between samples, 1024; its top allocating functions are printed).
 */
import { firstChunkOverSSE } from './first-chunk-over-sse';
import { builtServerEnv, forkBench, nextMessage, stopAll } from './load-run';
import { selfBytesByFunction } from './allocation-profile-by-function';

const SAMPLES = Number(process.env.SAMPLES ?? 1_000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const INTERVAL_MS = Number(process.env.TTFB_INTERVAL_MS ?? 10);
const SEMI_SPACE_MB = Number(process.env.SEMI_SPACE_MB ?? 512);
const profileFile = process.env.ALLOC_PROFILE_FILE;
process.env.DETACH_GRACE_MS ??= '0'; // as sse-load: a probe's stream ends when its client hangs up

// SEMI_SPACE_MB=0: V8's own young generation (the bytes then undercount, but the collections in the
// windows are what a paced request meets).
const flags = ['--expose-gc', ...(SEMI_SPACE_MB > 0 ? [`--min-semi-space-size=${SEMI_SPACE_MB}`, `--max-semi-space-size=${SEMI_SPACE_MB}`] : []), ...(process.env.SERVER_NODE_FLAGS ?? '').split(' ').filter(Boolean)];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Bytes = Record<string, number>;
interface Window { young: number; old: number }
/** Per request: young (new_space, what fills the semi-space between scavenges) and the rest (maps, code, large and old objects). */
const split = (b: Bytes): Window => {
  const young = (b.new_space ?? 0) + (b.new_large_object_space ?? 0);
  return { young: young / SAMPLES, old: (Object.values(b).reduce((a, v) => a + v, 0) - young) / SAMPLES };
};

interface Cpu { main: number; worker: number; other: number }
async function measure(profile?: string): Promise<{ busy: Window; idle: Window; gcs: number; idleGcs: number; cpu: Cpu; idleCpu: Cpu; statements: number; idleStatements: number }> {
  const server = forkBench('./load-server.ts', builtServerEnv({ ...process.env, ...(profile ? { ALLOC_PROFILE_INTERVAL: process.env.ALLOC_PROFILE_INTERVAL ?? '1024' } : {}) }), flags);
  const ready = await nextMessage(server, 'ready', 600_000);
  const url = `http://127.0.0.1:${ready.port as number}/api/stream?prompt=ttfb`;
  const key = ready.key as string;
  const firstChunk = () => firstChunkOverSSE(url, key);
  const window = async (requests: boolean, file?: string) => {
    server.send({ type: 'alloc-start' });
    await nextMessage(server, 'alloc-started');
    for (let i = 0; i < SAMPLES; i++) {
      if (requests) await firstChunk();
      await sleep(INTERVAL_MS);
    }
    // Until the last streams have ended and their statements and audit rows have gone (on a busy
    // machine that takes a while), so the window holds every request's whole garbage.
    for (let waited = 0; waited < 30_000; waited += 100) {
      server.send({ type: 'status', keepGarbage: true });
      const r = await nextMessage(server, 'status');
      if ((r.activeStreams as number) === 0 && (r.pendingRows as number) === 0) break;
      await sleep(100);
    }
    await sleep(500); // the endings' group commit (20 ms) and the replies
    server.send({ type: 'alloc-stop', ...(file ? { file } : {}) });
    return nextMessage(server, 'alloc-stopped');
  };
  // Warm-up: the JIT, the pools and caches (as sse-load's back-to-back run before its paced one).
  for (let i = 0; i < 1_500; i++) await firstChunk();
  await sleep(1_500);
  const busy = await window(true, profile);
  console.log(`statements sent to the worker per request, by kind: ${Object.entries(busy.statementKinds as Record<string, number>).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${(v / SAMPLES).toFixed(2)} ${k}`).join('; ')}`);
  const idle = await window(false);
  await stopAll([server]);
  return {
    busy: split(busy.bytes as Bytes),
    idle: split(idle.bytes as Bytes),
    gcs: busy.gcs as number,
    idleGcs: idle.gcs as number,
    cpu: busy.cpu as Cpu,
    idleCpu: idle.cpu as Cpu,
    statements: busy.workerMessages as number,
    idleStatements: idle.workerMessages as number,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rounds: Array<{ young: number; old: number; worker: number; main: number; statements: number }> = [];
// CPU per request (ms) of one thread kind: the requests' window less the idle one.
const cpuMs = (m: { cpu: Cpu; idleCpu: Cpu }, kind: keyof Cpu) => (m.cpu[kind] - m.idleCpu[kind]) / SAMPLES / 1e6;
const kb = (b: number) => (b / 1000).toFixed(1);
for (let r = 0; r < ROUNDS; r++) {
  const m = await measure();
  const own = { young: m.busy.young - m.idle.young, old: m.busy.old - m.idle.old, worker: cpuMs(m, 'worker'), main: cpuMs(m, 'main'), statements: (m.statements - m.idleStatements) / SAMPLES };
  rounds.push(own);
  console.log(
    `round ${r + 1}: per request young ${kb(m.busy.young)} KB (idle ${kb(m.idle.young)} per ${INTERVAL_MS} ms), old spaces ${kb(m.busy.old)} KB (idle ${kb(m.idle.old)}); ` +
      `own young ${kb(own.young)} KB, old ${kb(own.old)} KB; scavenges: ${m.gcs} in the requests' window (${((m.gcs / SAMPLES) * 1000).toFixed(1)} per 1,000 requests), ${m.idleGcs} in the idle one; ` +
      `database worker: ${own.statements.toFixed(2)} statements and ${own.worker.toFixed(3)} ms CPU per request (idle window ${m.idleStatements} statements); ` +
      `main thread ${own.main.toFixed(3)} ms CPU per request, other threads ${cpuMs(m, 'other').toFixed(3)}`,
  );
}
const young = median(rounds.map((m) => m.young));
const old = median(rounds.map((m) => m.old));
console.log(
  `garbage per paced request (main thread, median of ${ROUNDS}): young generation ${kb(young)} KB, old spaces ${kb(old)} KB, total ${kb(young + old)} KB; ` +
    `a 16 MiB semi-space fills every ${((16 * 1024 * 1024) / young).toFixed(0)} requests; ` +
    `database worker ${median(rounds.map((m) => m.statements)).toFixed(2)} statements and ${median(rounds.map((m) => m.worker)).toFixed(3)} ms CPU per request, main thread ${median(rounds.map((m) => m.main)).toFixed(3)} ms`,
);

if (profileFile) {
  await measure(profileFile);
  // Self bytes per function (url:line name), the top 30.
  const { byFunction, total } = selfBytesByFunction(profileFile);
  console.log(`sampled: ${(total / SAMPLES / 1000).toFixed(1)} KB per request (requests window only)`);
  for (const [name, bytes] of byFunction.slice(0, 30)) console.log(`${(bytes / SAMPLES).toFixed(0).padStart(8)} B  ${name}`);
}
process.exit(0);
