/**
 * Time to first token through the compatible doors beside Twin's own SSE: the simulated provider
 * called directly, `GET` and `POST /api/stream` (first `chunk` event; the POST is the doors'
 * like-for-like baseline, a JSON body to read), `POST /v1/chat/completions` with `stream: true`
 * (first chunk carrying content: the role chunk OpenAI sends first comes before the first token) and
 * `POST /v1/messages` with `stream: true` (first `content_block_delta`). Paced as in
 * sse-load.bench.ts: one request every TTFB_INTERVAL_MS (10), each started after the previous one's
 * first token; the paths take turns, so they share whatever else the machine is doing.
 * Knobs: TTFB_SAMPLES (1000 per path), TTFB_INTERVAL_MS (10).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { createSimulatedProvider } from '@twin/core';

const SAMPLES = Number(process.env.TTFB_SAMPLES ?? 1_000);
const INTERVAL_MS = Number(process.env.TTFB_INTERVAL_MS ?? 10);

const server: ChildProcess = fork(fileURLToPath(new URL('./load-server.ts', import.meta.url)), [], {
  execArgv: ['--import', 'tsx'],
  env: { ...process.env, TOKENS_PER_SECOND: '10', OUTPUT_TOKENS: '500' },
  stdio: 'inherit',
});
process.on('exit', () => server.exitCode === null && server.kill('SIGKILL'));
const ready = await new Promise<{ port: number; key: string }>((resolve) =>
  server.on('message', (m: { type: string; port: number; key: string }) => m.type === 'ready' && resolve(m)),
);
const base = `http://127.0.0.1:${ready.port}`;

/** Opens a request and resolves at the first received text matching `firstToken` (then aborts it). */
function firstToken(path: string, body: unknown | undefined, firstTokenMark: string): () => Promise<void> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return () =>
    new Promise<void>((resolve, reject) => {
      const req = request(
        `${base}${path}`,
        {
          method: payload ? 'POST' : 'GET',
          headers: { authorization: `Bearer ${ready.key}`, ...(payload ? { 'content-type': 'application/json' } : {}) },
        },
        (res) => {
          if (res.statusCode !== 200) reject(new Error(`${path}: HTTP ${res.statusCode}`));
          let seen = '';
          res.setEncoding('utf8');
          res.on('data', (text: string) => {
            seen += text;
            if (seen.includes(firstTokenMark)) {
              req.destroy();
              resolve();
            }
          });
        },
      );
      req.on('error', (e) => (e.message.includes('socket hang up') ? resolve() : reject(e)));
      req.end(payload);
    });
}

const direct = createSimulatedProvider({ tokensPerSecond: 10, outputTokens: 500 });
const messages = [{ role: 'user', content: 'ttfb' }];
const kinds: Array<[string, () => Promise<void>]> = [
  [
    'simulated provider, directly',
    async () => {
      const controller = new AbortController();
      for await (const part of direct.stream({ messages: [{ role: 'user', content: 'ttfb' }] }, { signal: controller.signal })) if (part.type === 'text-delta') break;
      controller.abort();
    },
  ],
  ['GET /api/stream (Twin SSE)', firstToken('/api/stream?prompt=ttfb', undefined, 'event: chunk')],
  // The doors take a JSON body: the native POST is their like-for-like baseline.
  ['POST /api/stream (Twin SSE)', firstToken('/api/stream', { provider: 'simulated', model: 'sim-1', messages }, 'event: chunk')],
  ['POST /v1/chat/completions', firstToken('/v1/chat/completions', { model: 'simulated/sim-1', messages, stream: true }, '"delta":{"content":"')],
  ['POST /v1/messages', firstToken('/v1/messages', { model: 'simulated/sim-1', max_tokens: 1000, messages, stream: true }, 'event: content_block_delta')],
];

const samples = kinds.map(() => [] as number[]);
for (let i = 0; i < 100; i++) for (const [, task] of kinds) await task(); // warm-up (JIT)
for (let i = 0; i < SAMPLES; i++) {
  for (let k = 0; k < kinds.length; k++) {
    const t0 = performance.now();
    await kinds[k]![1]();
    samples[k]!.push(performance.now() - t0);
    await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS));
  }
}
const at = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const rows = kinds.map(([name], k) => {
  const sorted = samples[k]!.sort((a, b) => a - b);
  return { name, p50: at(sorted, 0.5), p99: at(sorted, 0.99) };
});
const [directRow] = rows;
console.table(
  rows.map((r) => ({
    path: r.name,
    'p50 ms': r.p50.toFixed(3),
    'p99 ms': r.p99.toFixed(3),
    'added p50 ms': (r.p50 - directRow!.p50).toFixed(2),
    'added p99 ms': (r.p99 - directRow!.p99).toFixed(2),
  })),
);
console.log(`TTFB paced (one request every ${INTERVAL_MS} ms, ${SAMPLES} per path, paths in turn), added over the direct provider call:`);
for (const r of rows.slice(1)) console.log(`  ${r.name}: p50 +${(r.p50 - directRow!.p50).toFixed(2)} ms, p99 +${(r.p99 - directRow!.p99).toFixed(2)} ms`);
server.send({ type: 'stop' });
await new Promise((resolve) => server.once('exit', resolve));
