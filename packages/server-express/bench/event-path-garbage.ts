/**
 * The garbage one streamed event leaves on the server's main thread in the steady state, measured
 * exactly: the built server (load-server.ts) with a young generation big enough that nothing is
 * collected over the window, so the used heap's growth is every byte allocated. STREAMS streams at
 * 10 tokens/s are opened and warmed up, then the heap is read around a window of WINDOW_MS; the
 * events are counted as this process receives them (the in-flight ones at the edges are a few per
 * stream, within a fraction of a percent over a window of several thousand).
 *
 * `pnpm exec tsx bench/event-path-garbage.ts` in packages/server-express (built first). Knobs:
 * STREAMS (200), WINDOW_MS (5000), ROUNDS (3, medians printed), SEMI_SPACE_MB (256),
 * SERVER_DIR (the packages/server-express to run, e.g. another worktree's, for A/B),
 * ALLOC_PROFILE_FILE (a sampled profile of one more window, ALLOC_PROFILE_INTERVAL bytes apart,
 * 256; its top allocating functions are printed per event).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nextMessage } from './load-run';
import { selfBytesByFunction } from './allocation-profile-by-function';

const STREAMS = Number(process.env.STREAMS ?? 200);
const WINDOW_MS = Number(process.env.WINDOW_MS ?? 5_000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const SEMI_SPACE_MB = Number(process.env.SEMI_SPACE_MB ?? 256);
const profileFile = process.env.ALLOC_PROFILE_FILE;
const serverDir = resolve(process.env.SERVER_DIR ?? join(fileURLToPath(new URL('.', import.meta.url)), '..'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const WARMUP_MS = Number(process.env.WARMUP_MS ?? 3_000);

function startServer(profile: boolean): ChildProcess {
  const flags = ['--expose-gc', `--min-semi-space-size=${SEMI_SPACE_MB}`, `--max-semi-space-size=${SEMI_SPACE_MB}`];
  const env = {
    ...process.env,
    TSX_TSCONFIG_PATH: join(serverDir, 'bench/tsconfig.dist.json'),
    OUTPUT_TOKENS: '100000',
    DETACH_GRACE_MS: '0',
    ...(profile ? { ALLOC_PROFILE_INTERVAL: process.env.ALLOC_PROFILE_INTERVAL ?? '256' } : {}),
  };
  return fork(join(serverDir, 'bench/load-server.ts'), [], { cwd: serverDir, execArgv: ['--import', 'tsx', ...flags], env, stdio: 'inherit' });
}

/** Opens the streams; `events()` counts the chunk events received so far. */
function openStreams(url: string, key: string): { events: () => number; close: () => void } {
  let events = 0;
  const requests: Array<ReturnType<typeof request>> = [];
  for (let i = 0; i < STREAMS; i++) {
    const req = request(`${url}+${i}`, { headers: { authorization: `Bearer ${key}`, accept: 'text/event-stream' }, agent: false }, (res) => {
      if (res.statusCode !== 200 && i === 0) console.error(`stream request answered ${res.statusCode}`);
      res.setEncoding('latin1');
      res.on('data', (text: string) => {
        for (let at = text.indexOf('event: chunk'); at !== -1; at = text.indexOf('event: chunk', at + 1)) events++;
      });
    });
    req.on('error', () => {});
    req.end();
    requests.push(req);
  }
  return { events: () => events, close: () => requests.forEach((r) => r.destroy()) };
}

interface Round { young: number; old: number; gcs: number; events: number }

async function measure(profile?: string): Promise<Round> {
  const server = startServer(profile !== undefined);
  const ready = await nextMessage(server, 'ready', 600_000);
  const streams = openStreams(`http://127.0.0.1:${ready.port as number}/api/stream?prompt=load`, ready.key as string);
  for (let waited = 0; waited < 60_000; waited += 250) {
    server.send({ type: 'status', keepGarbage: true });
    const active = (await nextMessage(server, 'status')).activeStreams as number;
    if (active >= STREAMS) break;
    if (waited % 5_000 === 0) console.error(`${active} streams open`);
    await sleep(250);
  }
  await sleep(WARMUP_MS); // warm-up: the JIT, the pools, the audit batches' rhythm
  server.send({ type: 'alloc-start' });
  await nextMessage(server, 'alloc-started', 600_000);
  const from = streams.events();
  await sleep(WINDOW_MS);
  server.send({ type: 'alloc-stop', ...(profile ? { file: profile } : {}) });
  const stopped = await nextMessage(server, 'alloc-stopped', 600_000);
  const events = streams.events() - from;
  streams.close();
  server.kill('SIGKILL');
  const bytes = stopped.bytes as Record<string, number>;
  const young = (bytes.new_space ?? 0) + (bytes.new_large_object_space ?? 0);
  const total = Object.values(bytes).reduce((a, v) => a + v, 0);
  return { young: young / events, old: (total - young) / events, gcs: stopped.gcs as number, events };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rounds: Round[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const m = await measure();
  rounds.push(m);
  console.log(`round ${r + 1}: ${m.events} events; per event young ${m.young.toFixed(0)} B, old spaces ${m.old.toFixed(0)} B; scavenges in the window ${m.gcs}`);
}
console.log(`${serverDir}: garbage per event (main thread, median of ${ROUNDS}): young ${median(rounds.map((m) => m.young)).toFixed(0)} B, old spaces ${median(rounds.map((m) => m.old)).toFixed(0)} B`);

if (profileFile) {
  const m = await measure(profileFile);
  const { byFunction, total } = selfBytesByFunction(profileFile);
  console.log(`sampled: ${(total / m.events).toFixed(0)} B per event (${m.events} events)`);
  for (const [name, bytes] of byFunction.slice(0, 40)) console.log(`${(bytes / m.events).toFixed(1).padStart(8)} B  ${name}`);
}
process.exit(0);
