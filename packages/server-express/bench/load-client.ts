/**
 * The load generator, run in its own process (forked by sse-load.bench.ts): opens STREAMS
 * concurrent SSE streams, parses them with eventsource-parser, and measures delivery latency of
 * every chunk (receipt − the provider's emission stamp) during the measurement window.
 */
import { Agent, request } from 'node:http';
import { createParser } from 'eventsource-parser';
import { readStamps, wallNow } from './stamped-provider';

const URL_BASE = process.env.URL_BASE!;
const KEY = process.env.KEY!;
const STREAMS = Number(process.env.STREAMS ?? 10_000);
const MEASURE_MS = Number(process.env.MEASURE_MS ?? 20_000);
const WARMUP_MS = Number(process.env.WARMUP_MS ?? 3_000);
const OPEN_CONCURRENCY = 250;
// The bench is bounded in time: streams still unopened after this are reported, not waited for.
const OPEN_BUDGET_MS = Number(process.env.OPEN_BUDGET_MS ?? 60_000);

const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
const latencies: number[] = [];
const stamps: number[] = [];
let recording = false;
let events = 0;
let recordedEvents = 0;
let failures = 0;
/** Why streams failed to open: HTTP status or error code, with counts (a balancer's 503 is not a server's). */
const failureReasons: Record<string, number> = {};
const failed = (reason: string) => {
  failures++;
  failureReasons[reason] = (failureReasons[reason] ?? 0) + 1;
};
let ended = 0;
const requests: Array<ReturnType<typeof request>> = [];

function openStream(i: number): Promise<void> {
  return new Promise((resolve) => {
    const req = request(`${URL_BASE}/api/stream?prompt=load+${i}`, { agent, headers: { authorization: `Bearer ${KEY}`, accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) {
        failed(`HTTP ${res.statusCode}`);
        res.resume();
        resolve();
        return;
      }
      const parser = createParser({
        onEvent(message) {
          events++;
          if (message.event !== 'chunk') return;
          if (!recording) return;
          const now = wallNow();
          stamps.length = 0;
          readStamps(message.data, stamps);
          for (const s of stamps) latencies.push(now - s);
          recordedEvents++;
        },
      });
      res.setEncoding('utf8');
      res.on('data', (text: string) => parser.feed(text));
      res.on('end', () => ended++);
      resolve();
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      failed(error.code ?? error.message);
      resolve();
    });
    req.end();
    requests.push(req);
  });
}

const t0 = performance.now();
let attempted = 0;
for (let i = 0; i < STREAMS && performance.now() - t0 < OPEN_BUDGET_MS; i += OPEN_CONCURRENCY) {
  attempted = Math.min(STREAMS, i + OPEN_CONCURRENCY);
  const wave: Promise<void>[] = [];
  for (let j = i; j < Math.min(STREAMS, i + OPEN_CONCURRENCY); j++) wave.push(openStream(j));
  await Promise.all(wave);
}
const openedMs = performance.now() - t0;
const opened = attempted - failures;
process.send!({ type: 'opened', openedMs, failures, failureReasons, opened });
await new Promise((r) => setTimeout(r, WARMUP_MS));
const eventsBefore = events;
recording = true;
const measureStart = performance.now();
await new Promise((r) => setTimeout(r, MEASURE_MS));
recording = false;
const measured = performance.now() - measureStart;
const eventsDuring = events - eventsBefore;

latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.max(0, Math.ceil((p / 100) * latencies.length) - 1))] ?? NaN;
process.send!({
  type: 'result',
  streams: opened,
  requested: STREAMS,
  failures,
  ended,
  openedMs,
  measuredMs: measured,
  samples: latencies.length,
  chunkEvents: recordedEvents,
  eventsPerSecond: (eventsDuring * 1000) / measured,
  p50: pct(50),
  p90: pct(90),
  p99: pct(99),
  max: latencies.at(-1) ?? NaN,
});
for (const req of requests) req.destroy();
setTimeout(() => process.exit(0), 500);
