/**
 * Issue #2 item 8a: the hot path, normalised text deltas → SSE bytes, through Twin's stream buffer +
 * SSE writer (and the full stream session), beside the Vercel AI SDK's `streamText` with its mock
 * model → `toUIMessageStreamResponse()` read to the end, on the SAME deltas, in the same run.
 *
 * Run: `pnpm --filter @twin/core bench` (or `tsx bench/stream-path.bench.ts`).
 */
import { streamText } from 'ai';
import { MockLanguageModelV3, simulateReadableStream } from 'ai/test';
import { Bench } from 'tinybench';
import {
  createConnectionWriter,
  createStreamBuffer,
  createStreamSession,
  encodeSSE,
  streamConfigSchema,
  type StreamEvent,
} from '../src/index';

const DELTAS = 1_000;
const LOREM =
  'Server-sent events stream model output token by token; every delta here is four characters long, ' +
  'like a typical BPE token of English prose, and the same deltas feed both paths. ';
const deltas: string[] = [];
for (let i = 0; deltas.length < DELTAS; i += 4) deltas.push(LOREM.repeat(4).slice(i % LOREM.length, (i % LOREM.length) + 4).padEnd(4, '.'));

const START = { streamId: 'bench', provider: 'sim', model: 'sim-1', createdAt: '2026-01-01T00:00:00.000Z' };
const ONE_EVENT_PER_DELTA = streamConfigSchema.parse({ flush: { maxParts: 1 } });

/** Buffer + writer, one `chunk` event per delta. Returns the SSE text. */
function twinBufferPerDelta(): string {
  const buffer = createStreamBuffer(ONE_EVENT_PER_DELTA);
  const writer = createConnectionWriter({ streamId: 'bench' });
  let wire = writer.write(buffer.start(START));
  for (let i = 0; i < deltas.length; i++) wire += writer.write(buffer.push({ type: 'text-delta', text: deltas[i]! }, i));
  return wire + writer.write(buffer.complete({ finishReason: 'stop' }));
}

/** Buffer + the generic encodeSSE (with its guards) instead of the writer's fast path. */
function twinBufferEncodeSSEPerDelta(): number {
  const buffer = createStreamBuffer(ONE_EVENT_PER_DELTA);
  const encode = (events: StreamEvent[]) => {
    let out = '';
    for (const e of events) if (e.type !== 'heartbeat') out += encodeSSE({ id: e.data.seq, event: e.type, data: JSON.stringify(e.data) });
    return out;
  };
  let length = encode(buffer.start(START)).length;
  for (let i = 0; i < deltas.length; i++) length += encode(buffer.push({ type: 'text-delta', text: deltas[i]! }, i)).length;
  return length + encode(buffer.complete({ finishReason: 'stop' })).length;
}

/**
 * The full per-stream session (metrics, snapshots invalidated) + writer; bytes are the UTF-8 bytes
 * the writer reports (a socket write encodes the string natively; `TextEncoder.encode` per small
 * event would cost more than the whole path and is not what a server does). `intervalMs` spaces the deltas on a simulated clock; the server's timer is simulated
 * by calling tick() whenever nextFlushAt() falls before the next delta.
 */
function twinSession(config: Parameters<typeof createStreamSession>[0]['config'], intervalMs: number): { bytes: number; chunkEvents: number } {
  let now = 0;
  const session = createStreamSession({ streamId: 'bench', provider: 'sim', model: 'sim-1', config, now: () => now, createdAt: new Date(0) });
  const writer = createConnectionWriter({ streamId: 'bench', onWrite: session.recordWrite });
  let chunkEvents = 0;
  const write = (events: StreamEvent[]) => {
    if (events.length === 0) return;
    for (const e of events) if (e.type === 'chunk') chunkEvents++;
    writer.write(events);
  };
  write(session.start());
  for (let i = 0; i < deltas.length; i++) {
    now = i * intervalMs;
    const due = session.nextFlushAt();
    if (due !== undefined && due <= now) write(session.tick(due));
    write(session.push({ type: 'text-delta', text: deltas[i]! }, now));
  }
  write(session.push({ type: 'finish', reason: 'stop' }, now));
  write(session.finish({}, now));
  const bytes = writer.bytesWritten;
  return { bytes, chunkEvents };
}

function mockModel() {
  return new MockLanguageModelV3({
    doStream: async () => ({
      stream: simulateReadableStream({
        initialDelayInMs: null,
        chunkDelayInMs: null,
        chunks: [
          { type: 'stream-start' as const, warnings: [] },
          { type: 'text-start' as const, id: 't0' },
          ...deltas.map((delta) => ({ type: 'text-delta' as const, id: 't0', delta })),
          { type: 'text-end' as const, id: 't0' },
          {
            type: 'finish' as const,
            finishReason: { unified: 'stop' as const, raw: 'stop' },
            usage: {
              inputTokens: { total: 10, noCache: 10, cacheRead: undefined, cacheWrite: undefined },
              outputTokens: { total: DELTAS, text: DELTAS, reasoning: undefined },
            },
          },
        ],
      }),
    }),
  });
}

/** AI SDK: streamText over the mock model → UI message stream Response, body read to the end. */
async function aiSdkPath(): Promise<number> {
  const result = streamText({ model: mockModel(), prompt: 'bench' });
  const response = result.toUIMessageStreamResponse();
  const reader = response.body!.getReader();
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return bytes;
    bytes += value.byteLength;
  }
}

// Sanity: both paths carry every delta.
const twinWire = twinBufferPerDelta();
if (!twinWire.includes(deltas[DELTAS - 1]!) || twinWire.split('event: chunk').length - 1 !== DELTAS) throw new Error('twin path lost deltas');
const aiBytes = await aiSdkPath();

const bench = new Bench({ name: 'stream path', time: 2_000, warmup: true, warmupTime: 300 });
bench
  .add('twin buffer + SSE writer (1 event/delta)', () => {
    twinBufferPerDelta();
  })
  .add('twin buffer + encodeSSE (1 event/delta)', () => {
    twinBufferEncodeSSEPerDelta();
  })
  .add('twin session + writer (1 event/delta)', () => {
    twinSession(ONE_EVENT_PER_DELTA, 1);
  })
  .add('twin session + writer (defaults, 1 delta/ms)', () => {
    twinSession(undefined, 1);
  })
  .add('ai-sdk streamText → toUIMessageStreamResponse', async () => {
    await aiSdkPath();
  });
await bench.run();

const perDeltaUs = (name: string) => {
  const task = bench.tasks.find((t) => t.name === name);
  const result = task?.result;
  if (result === undefined || !('latency' in result)) throw new Error(`bench task ${name} did not complete`);
  return (result.latency.p50 * 1000) / DELTAS;
};

console.log(`\nstream path: ${DELTAS} text deltas of 4 characters, medians (tinybench p50 per stream ÷ ${DELTAS})`);
const rows = bench.tasks.map((t) => ({ task: t.name, 'µs per delta': perDeltaUs(t.name).toFixed(3) }));
console.table(rows);
const aiUs = perDeltaUs('ai-sdk streamText → toUIMessageStreamResponse');
const bufferUs = perDeltaUs('twin buffer + SSE writer (1 event/delta)');
const sessionUs = perDeltaUs('twin session + writer (1 event/delta)');
console.log(`buffer + writer: ${bufferUs.toFixed(3)} µs/event (target ≤ 2) — ${(aiUs / bufferUs).toFixed(1)}× faster than the AI SDK path (target ≥ 50×)`);
console.log(`full session + writer: ${sessionUs.toFixed(3)} µs/event — ${(aiUs / sessionUs).toFixed(1)}× faster than the AI SDK path`);

console.log('\nwire bytes per 4-character delta (whole stream incl. start/complete ÷ deltas):');
const wireRows: Array<Record<string, string | number>> = [
  { path: 'ai-sdk UI message stream (1 event/delta)', 'bytes/delta': (aiBytes / DELTAS).toFixed(1), 'chunk events': DELTAS },
];
const perDelta = twinSession(ONE_EVENT_PER_DELTA, 1);
wireRows.push({ path: 'twin, 1 event/delta (flush.maxParts 1)', 'bytes/delta': (perDelta.bytes / DELTAS).toFixed(1), 'chunk events': perDelta.chunkEvents });
for (const interval of [1, 5, 10, 20]) {
  const run = twinSession(undefined, interval);
  wireRows.push({ path: `twin defaults (maxAgeMs 15), a delta every ${interval} ms`, 'bytes/delta': (run.bytes / DELTAS).toFixed(1), 'chunk events': run.chunkEvents });
}
console.table(wireRows);

// 10,000 concurrent streams: the per-session memory (no timers or per-part closures inside core).
const { setFlagsFromString } = await import('node:v8');
const { runInNewContext } = await import('node:vm');
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const SESSIONS = 10_000;
gc();
const heapBefore = process.memoryUsage().heapUsed;
const sessions = [];
for (let i = 0; i < SESSIONS; i++) {
  const session = createStreamSession({ streamId: `s${i}`, provider: 'sim', model: 'sim-1', now: () => 0 });
  const writer = createConnectionWriter({ streamId: `s${i}`, onWrite: session.recordWrite });
  writer.write(session.start());
  writer.write(session.push({ type: 'text-delta', text: 'Hey!' }, 1));
  sessions.push({ session, writer });
}
gc();
const heapAfter = process.memoryUsage().heapUsed;
console.log(`\n${SESSIONS} live sessions (started, first delta sent, default replay window): ${((heapAfter - heapBefore) / SESSIONS / 1000).toFixed(2)} KB heap each`);
if (sessions.length !== SESSIONS) throw new Error('unreachable');
