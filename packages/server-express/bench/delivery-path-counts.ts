/**
 * The delivery side of one chunk event, counted deterministically: STREAMS live streams (the real
 * LiveStream, its StreamConnection, core's connection writer, the SSE response and the audit
 * segment writer) each writing to a real socket, fed one text part at a time round-robin, so every
 * event finds its stream's objects as cold as under load. The readers run in a child process (not
 * counted by valgrind, which does not trace children); the provider is a push provider the harness
 * calls, and the database is a stand-in (no statements), so what is counted is the part's way from
 * the core session to the socket (the session's own work included, the same before and after).
 *
 * Per-event figures come from two runs of different lengths (ROUNDS events per stream):
 *   valgrind --tool=callgrind node --single-threaded --predictable --hash-seed=1 --random-seed=1 <bundle> (ROUNDS=10, then 30)
 * and the same with --tool=cachegrind (--D1=49152,12,64 --LL=4194304,16,64). `MODE=garbage` instead
 * prints the heap's growth per event over the measured rounds (run with a young generation big
 * enough that nothing is collected: --min-semi-space-size=512 --max-semi-space-size=512).
 *
 * Bundle: pnpm exec esbuild bench/delivery-path-counts.ts --bundle --platform=node --format=esm
 *   --outfile=/tmp/delivery.mjs --external:pino --external:prom-client (run from packages/server-express).
 */
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_STREAM_CONFIG, type Provider, type StreamPart } from '@twin/core';
import pino from 'pino';
import { openSSEResponse, type SSEResponse, type SSEResponseOptions } from '../src/http/sse-response';
import { createServerMetrics } from '../src/observability/server-metrics';
import { LiveStream, type LiveStreamDeps } from '../src/stream/live-stream';
import { TickScheduler } from '../src/stream/tick-scheduler';

const STREAMS = Number(process.env.STREAMS ?? 2_000);
const ROUNDS = Number(process.env.ROUNDS ?? 10);
const WARM_ROUNDS = Number(process.env.WARM_ROUNDS ?? 5);
const MODE = process.env.MODE ?? 'count';

// The clock: 100 ms per round (each stream's pace at 10 events/s), so the audit segments are cut
// exactly as under load (one row per stream per 10 events) however slowly valgrind runs; its reads
// are counted (the real Date.now's cost is not: a read here is a JS call, not the C++ builtin).
let clock = 1_765_000_000_000;
let clockReads = 0;
Date.now = () => {
  clockReads++;
  return clock;
};

const noop = () => {};
const rows = { chunks: 0 };
const pushSink = { push: noop };
const store = {
  openings: { push: noop, durable: () => Promise.resolve() },
  chunks: { push: () => void rows.chunks++ },
  connectionsOpened: pushSink,
  events: pushSink,
};
const deps = {
  store,
  pricing: { warm: () => Promise.resolve() },
  metrics: createServerMetrics({ defaultMetrics: false }),
  stats: {},
  logger: pino({ level: 'silent' }),
  config: DEFAULT_STREAM_CONFIG,
  scheduler: new TickScheduler(),
  persistChunks: true,
  onFinished: noop,
  holdContentUntilRecorded: true,
} as unknown as LiveStreamDeps;

const feeds: Array<(parts: readonly StreamPart[]) => void> = [];
const provider: Provider = {
  name: 'bench',
  streamParts: (_request: unknown, _options: unknown, onParts: (parts: readonly StreamPart[]) => void) => {
    feeds.push(onParts);
    return new Promise<void>(noop);
  },
} as unknown as Provider;

/** The hub's connection as the built-in SSE response sees it (callbacks as methods). */
class Connection implements SSEResponseOptions {
  encoding = 'identity' as const;
  retryMs = 1_000;
  // No heartbeat tick within a run (the ticker's wake-ups would follow valgrind's real time).
  heartbeatIntervalMs = 3_600_000;
  maxQueuedBytes = 1 << 20;
  constructor(private readonly stream: LiveStream) {}
  onClientClose(): void {}
  onOverflow(): void {
    this.stream.onOverflow();
  }
  onBackpressure(): void {}
  onDrain(): void {
    this.stream.onDrain();
  }
  onWritten(bytes: number, events: number): void {
    this.stream.recordWritten(bytes, events);
  }
}

let opened = 0;
const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  const n = opened++;
  const stream = new LiveStream(
    { id: `str_bench${String(n).padStart(8, '0')}`, billingRecordId: `bill_${n}`, tenantId: 'bench', apiKeyId: 'key', provider, model: 'm', request: { messages: [] } as never },
    deps,
  );
  const response: SSEResponse = openSSEResponse(req, res, new Connection(stream));
  stream.attach(response);
  stream.begin();
});
// A deep backlog: 2,000 connections at once to a server valgrind slows down (past it, SYNs are retried for minutes).
server.listen({ port: 0, host: '127.0.0.1', backlog: 4_096 });
await new Promise((r) => server.once('listening', r));
const port = (server.address() as AddressInfo).port;

// The readers: one process, STREAMS sockets, every byte read and dropped.
const readerSource = `
const net = require('node:net');
let open = 0;
for (let i = 0; i < ${STREAMS}; i++) {
  const s = net.connect(${port}, '127.0.0.1', () => { s.write('GET /s HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n'); if (++open === ${STREAMS}) process.send('open'); });
  s.on('data', () => {});
  s.on('error', () => {});
}
process.on('disconnect', () => process.exit(0));
`;
const reader = spawn(process.execPath.includes('valgrind') ? 'node' : process.execPath, ['-e', readerSource], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
await new Promise((r) => reader.once('message', r));
while (feeds.length < STREAMS) await new Promise((r) => setTimeout(r, 5));
// The openings are durable after a microtask; let every gate open.
await new Promise((r) => setTimeout(r, 20));

const WORDS = ['The ', 'quick ', 'brown ', 'fox ', 'jumps ', 'over ', 'the ', 'lazy ', 'dog, ', 'again. '];
const yieldTurn = () => new Promise((r) => setImmediate(r));
let fed = 0;
async function rounds(count: number): Promise<void> {
  for (let r = 0; r < count; r++) {
    for (let i = 0; i < STREAMS; i++) {
      feeds[i]!([{ type: 'text-delta', text: WORDS[(r + i) % WORDS.length]! }]);
      fed++;
      // Let the sockets drain now and then, as the event loop would between wake-ups.
      if (i % 100 === 99) await yieldTurn();
    }
    await yieldTurn();
    clock += 100;
  }
}

await rounds(WARM_ROUNDS);
if (MODE === 'garbage') {
  (globalThis as { gc?: () => void }).gc?.();
  const before = process.memoryUsage().heapUsed;
  const from = fed;
  const reads = clockReads;
  await rounds(ROUNDS);
  console.log(`clock reads: ${((clockReads - reads) / (fed - from)).toFixed(2)} per event`);
  const after = process.memoryUsage().heapUsed;
  console.log(`garbage: ${((after - before) / (fed - from)).toFixed(1)} B per event over ${fed - from} events`);
} else {
  const from = fed;
  const reads = clockReads;
  await rounds(ROUNDS);
  console.log(`clock reads: ${((clockReads - reads) / (fed - from)).toFixed(2)} per event`);
}
const metrics = await deps.metrics.registry.getSingleMetric('twin_events_sent_total')?.get();
console.log(`fed ${fed} parts to ${STREAMS} streams; audit rows ${rows.chunks}; events written ${metrics?.values.reduce((a, v) => a + v.value, 0) ?? '?'}`);
reader.kill('SIGKILL');
process.exit(0);
