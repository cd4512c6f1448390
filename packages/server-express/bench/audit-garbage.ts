/**
 * What the audit copy of events leaves to the main heap's collector, deterministically: 2,000
 * streams' segment writers at 10 events/s on a simulated clock (a tick is 100 ms: one event per
 * stream), their rows pushed to the audit log's chunk writer and written every `DRAIN_TICKS` ticks
 * (the batch interval plus the worker's turn) to a database stand-in that takes the COPY bytes.
 * Around it, what the server keeps and throws away per event: each stream's last 16 events (its
 * replay window) and `FILLER` bytes of garbage (the server makes some 3.5 KiB per event), so
 * scavenges come about as often per event as in the load bench.
 *
 * `pnpm exec tsx bench/audit-garbage.ts` runs the measurement in a child process and prints:
 * - `MODE=promoted` (default): bytes promoted to the old generation per event (the child runs with
 *   `--trace-gc-nvp`: the `promoted=` of the window's scavenges summed), scavenges, full collections;
 * - `MODE=allocated`: no filler, no replay window, a young generation large enough for no
 *   collection in the window: the used heap's growth per event is every byte the audit path (and
 *   the event's own making) allocates.
 * `AUDIT=0` leaves the audit copy out (what the rest of the harness promotes by itself);
 * `TWIN_SRC` points at another build's `src/` (A/B against a base worktree).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import type * as SegmentModule from '../src/storage/audit-segment';
import type * as WriterModule from '../src/storage/batch-writer';
import type * as CopyModule from '../src/storage/chunk-rows-copy';
import type { ChunkRow } from '../src/storage/store-rows';

const MODE = process.env.MODE ?? 'promoted';
if (!process.env.AUDIT_GARBAGE_CHILD) {
  const flags = MODE === 'allocated' ? ['--min-semi-space-size=512', '--max-semi-space-size=512'] : ['--trace-gc-nvp'];
  const child = spawnSync(process.execPath, ['--expose-gc', ...flags, ...process.execArgv, fileURLToPath(import.meta.url)], {
    env: { ...process.env, AUDIT_GARBAGE_CHILD: '1' },
    encoding: 'utf8',
    maxBuffer: 256 << 20,
  });
  const lines = child.stdout.split('\n');
  const window = lines.slice(lines.indexOf('audit-garbage: start') + 1, lines.indexOf('audit-garbage: end'));
  let promoted = 0;
  let scavenges = 0;
  let full = 0;
  for (const line of window) {
    if (line.includes(' gc=s ')) {
      scavenges++;
      promoted += Number(/ promoted=(\d+)/.exec(line)?.[1] ?? 0);
    } else if (/ gc=(mc|mmc) /.test(line)) full++;
  }
  const result = lines.find((line) => line.startsWith('audit-garbage: '+'events'));
  const events = Number(/events (\d+)/.exec(result ?? '')?.[1]);
  console.log(result ?? child.stderr);
  if (MODE !== 'allocated') console.log(`promoted per event ${(promoted / events).toFixed(1)} bytes; scavenges ${scavenges}, full collections ${full} in the window`);
  process.exit(child.status ?? 1);
}

const root = process.env.TWIN_SRC ?? new URL('../src/', import.meta.url).pathname;
const STREAMS = Number(process.env.STREAMS ?? 2_000);
const TICKS = Number(process.env.TICKS ?? (MODE === 'allocated' ? 30 : 300));
const DRAIN_TICKS = Number(process.env.DRAIN_TICKS ?? 4);
const FILLER = MODE === 'allocated' ? 0 : Number(process.env.FILLER ?? 3_000);
const WARMUP = 20;
/** `AUDIT=0`: the same without the audit copy (what the rest of the harness leaves by itself). */
const AUDIT = process.env.AUDIT !== '0';

const { AuditSegmentWriter } = (await import(`${root}storage/audit-segment.ts`)) as typeof SegmentModule;
const auditLog = (await import(`${root}storage/audit-log.ts`)) as Record<string, unknown>;
const { createBatchWriter } = (await import(`${root}storage/batch-writer.ts`)) as typeof WriterModule;
const { chunkRowsCopyData } = (await import(`${root}storage/chunk-rows-copy.ts`)) as typeof CopyModule;
type Row = ChunkRow;
type Writer = WriterModule.BatchWriter<Row>;

let copied = 0;
// The database stand-in: takes the COPY bytes as the worker client would (they leave the heap).
const copy = async (_statement: string, data: Uint8Array) => void (copied += data.length);
const insert = async () => {
  throw new Error('not on the embedded database');
};
// This build's chunk writer when it has one; else the one createAuditLog built before it (rows
// queued as objects, encoded when their batch is written).
const chunkWriter = auditLog.createChunkRowsWriter as
  | ((options: { copy: typeof copy; insert: typeof insert; intervalMs: number; maxBatch: number }) => Writer)
  | undefined;
const chunks: Writer = chunkWriter
  ? chunkWriter({ copy, insert, intervalMs: 3_600_000, maxBatch: 1_000 })
  : createBatchWriter<Row>({ intervalMs: 3_600_000, maxBatch: 1_000, write: async (rows) => copy('', chunkRowsCopyData(rows)) });

let clock = 0;
const now = () => clock;
const WORDS = ['the ', 'stream ', 'of ', 'tokens ', 'flows ', 'from ', 'model ', 'to ', 'client '];
const streams = Array.from({ length: STREAMS }, (_, i) => ({
  writer: new AuditSegmentWriter({ streamId: `str_${i.toString(36).padStart(16, 'x')}`, tenantId: 'ten_bench' }, false, (row: Row) => chunks.push(row), now),
  window: [] as unknown[],
  seq: 0,
}));

let sink = 0;
async function tick(t: number): Promise<void> {
  clock = t * 100;
  for (const stream of streams) {
    const seq = ++stream.seq;
    const event = { type: 'chunk' as const, data: { v: 1, seq, text: `${WORDS[seq % WORDS.length]}|${(clock + seq / 10).toFixed(1)}|` } };
    if (FILLER > 0) {
      stream.window.push(event);
      if (stream.window.length > 16) stream.window.shift();
      sink += `id: ${seq}\nevent: chunk\ndata: ${JSON.stringify(event.data)}\n\n`.length;
      sink += new Array(FILLER >> 3).length; // FILLER bytes of pointers, thrown away
    }
    if (!AUDIT) continue;
    stream.writer.add([event]);
    stream.writer.flush(false);
  }
  if (t % DRAIN_TICKS === 0) await chunks.flush();
}

for (let t = 1; t <= WARMUP; t++) await tick(t);
globalThis.gc?.();
const before = getHeapStatistics().used_heap_size;
console.log('audit-garbage: start');
for (let t = WARMUP + 1; t <= WARMUP + TICKS; t++) await tick(t);
const after = getHeapStatistics().used_heap_size;
console.log('audit-garbage: end');
const events = STREAMS * TICKS;
const allocated = MODE === 'allocated' ? `, allocated per event ${((after - before) / events).toFixed(1)} bytes` : '';
// The filler's count is kept where the optimiser must assume it is read.
(globalThis as { auditGarbageSink?: number }).auditGarbageSink = sink;
console.log(`audit-garbage: events ${events}${allocated} (${copied} COPY bytes)`);
