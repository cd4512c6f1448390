/**
 * The instructions one paced TTFB request costs the server's main thread, counted (valgrind
 * callgrind, per thread, V8 made deterministic with `--single-threaded --predictable` and fixed
 * seeds): the built server (load-server.ts) runs under callgrind with instrumentation off while it
 * opens and warms up (WARMUP requests), then instrumentation on for SAMPLES requests, one at a time,
 * each hanging up at its first chunk as sse-load's paced probes do and each waited for until its
 * stream has ended and every row it queued has gone to the database (its whole ending counted),
 * then the counts dumped. Main-thread instructions / SAMPLES is the figure; the database worker's
 * thread and the others are printed beside it. With `--single-threaded` V8's compilations and
 * collections run on the main thread and count there.
 *
 * `pnpm exec tsx bench/ttfb-instructions.ts` in packages/server-express (built first). Knobs:
 * SAMPLES (200), WARMUP (800: fewer leave more tier-up compilations in the window), SERVER_ENTRY (another build's dist/index.js: an A/B with this
 * harness). Slow: valgrind runs node some 50× slower (minutes).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { firstChunkOverSSE } from './first-chunk-over-sse';
import { builtServerEnv, children, nextMessage, stopAll } from './load-run';

const SAMPLES = Number(process.env.SAMPLES ?? 200);
const WARMUP = Number(process.env.WARMUP ?? 800);
process.env.DETACH_GRACE_MS ??= '0'; // as sse-load: a probe's stream ends when its client hangs up
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const dir = mkdtempSync(join(tmpdir(), 'twin-ttfb-callgrind-'));
const server = fork(fileURLToPath(new URL('./load-server.ts', import.meta.url)), [], {
  execPath: 'valgrind',
  execArgv: [
    '--tool=callgrind',
    '--separate-threads=yes',
    '--instr-atstart=no',
    `--callgrind-out-file=${join(dir, 'cg.%p')}`,
    process.execPath,
    '--single-threaded',
    '--predictable',
    '--hash-seed=1',
    '--random-seed=1',
    '--import',
    'tsx',
  ],
  env: builtServerEnv(process.env),
  stdio: 'inherit',
});
children.push(server);
const ready = await nextMessage(server, 'ready', 3_600_000);
const url = `http://127.0.0.1:${ready.port as number}/api/stream?prompt=ttfb`;
const key = ready.key as string;

/** Until every stream has ended and every queued row has gone to the database. */
async function settled(): Promise<void> {
  for (;;) {
    server.send({ type: 'status', keepGarbage: true });
    const s = await nextMessage(server, 'status', 600_000);
    if ((s.activeStreams as number) === 0 && (s.pendingRows as number) === 0) return;
    await sleep(100);
  }
}

for (let i = 0; i < WARMUP; i++) await firstChunkOverSSE(url, key);
await settled();
await sleep(2_000);
const control = (...args: string[]) => execFileSync('callgrind_control', [...args, String(server.pid)], { stdio: 'pipe' });
control('-i', 'on');
control('-z');
for (let i = 0; i < SAMPLES; i++) {
  await firstChunkOverSSE(url, key);
  await settled();
}
control('-d');
control('-i', 'off');

// One file per thread of the dump: cg.<pid>.1-<thread>; thread 01 is the main thread.
const totals = readdirSync(dir)
  .filter((f) => f.startsWith(`cg.${server.pid}.1-`))
  .map((f) => {
    const text = readFileSync(join(dir, f), 'utf8');
    const line = /^(?:summary|totals): (\d+)/m.exec(text);
    return { thread: f.slice(f.lastIndexOf('-') + 1), instructions: Number(line?.[1] ?? 0) };
  })
  .sort((a, b) => b.instructions - a.instructions);
const main = totals.find((t) => t.thread === '01')?.instructions ?? 0;
// Of the main thread's: TurboFan's compilations (on the main thread with --single-threaded; what the
// warm-up left to tier up, which moves between builds and runs) and the collector's.
const annotated = execFileSync('callgrind_annotate', ['--inclusive=yes', '--threshold=100', join(dir, `cg.${server.pid}.1-01`)], { encoding: 'utf8', maxBuffer: 1 << 28 });
const inclusive = (pattern: RegExp) => Number(annotated.split('\n').find((l) => pattern.test(l))?.trim().split(' ')[0]!.replaceAll(',', '') ?? 0);
const compile = inclusive(/Runtime_CompileOptimized\(/);
const gc = inclusive(/Heap::CollectGarbage\(/);
console.log(
  `main thread per paced request: ${(main / SAMPLES).toFixed(0)} instructions, of which optimizing compilation ${(compile / SAMPLES).toFixed(0)} and GC ${(gc / SAMPLES).toFixed(0)}; ` +
    `without the compilations ${((main - compile) / SAMPLES).toFixed(0)}`,
);
console.log(
  `instructions per paced request (${SAMPLES}, callgrind): main thread ${(main / SAMPLES).toFixed(0)}; ` +
    totals.filter((t) => t.thread !== '01').map((t) => `thread ${t.thread} ${(t.instructions / SAMPLES).toFixed(0)}`).join(', ') +
    ` (files in ${dir})`,
);
await stopAll([server]);
process.exit(0);
