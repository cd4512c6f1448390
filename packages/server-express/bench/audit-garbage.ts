/**
 * What the audit copy of events leaves to the main heap's collector, deterministically: 2,000
 * streams' segment writers at 10 events/s on a simulated clock (a tick is 100 ms: one event per
 * stream), their rows pushed to the audit log's chunk writer and written every `DRAIN_TICKS` ticks
 * (the batch interval plus the worker's turn) to a database stand-in that takes the COPY bytes.
 * Around it, what the server keeps and throws away per event: each stream's last 16 events (its
 * replay window) and `FILLER` bytes of garbage (the server makes some 3.5 KiB per event), so
 * scavenges come about as often per event as in the load bench.
 *
 * - `MODE=promoted` (default): run with `node --expose-gc --trace-gc-nvp`; prints the window's
 *   markers, and `scripts`-free parsing is left to the caller: sum `promoted=` of the `gc=s` lines
 *   between `audit-garbage: start` and `audit-garbage: end` (see `AUDIT_GARBAGE_REPORT=1`).
 * - `MODE=allocated`: no filler, no replay window, run with a young generation large enough for
 *   no collection in the window (`--max-semi-space-size=1024`): the used heap's growth per event is
 *   every byte the audit path (and the event's own making) allocates.
 *
 * `TWIN_SRC` points at another build's `src/` (A/B against a base worktree).
 */
import { getHeapStatistics } from 'node:v8';

const root = process.env.TWIN_SRC ?? new URL('../src/', import.meta.url).pathname;
const MODE = process.env.MODE ?? 'promoted';
const STREAMS = Number(process.env.STREAMS ?? 2_000);
const TICKS = Number(process.env.TICKS ?? (MODE === 'allocated' ? 30 : 300));
const DRAIN_TICKS = Number(process.env.DRAIN_TICKS ?? 4);
const FILLER = MODE === 'allocated' ? 0 : Number(process.env.FILLER ?? 3_000);
const WARMUP = 20;
/** `AUDIT=0`: the same without the audit copy (what the rest of the harness leaves by itself). */
const AUDIT = process.env.AUDIT !== '0';

const { AuditSegmentWriter } = (await import(`${root}storage/audit-segment.ts`)) as typeof import('../src/storage/audit-segment');
const auditLog = (await import(`${root}storage/audit-log.ts`)) as Record<string, unknown>;
const { createBatchWriter } = (await import(`${root}storage/batch-writer.ts`)) as typeof import('../src/storage/batch-writer');
const { chunkRowsCopyData } = (await import(`${root}storage/chunk-rows-copy.ts`)) as typeof import('../src/storage/chunk-rows-copy');
type Row = import('../src/storage/store-rows').ChunkRow;
type Writer = import('../src/storage/batch-writer').BatchWriter<Row>;

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
if (MODE === 'allocated') console.log(`allocated per event: ${((after - before) / events).toFixed(1)} bytes (${events} events, ${copied} COPY bytes in all)`);
else console.log(`events ${events}, COPY bytes ${copied}, sink ${sink > 0}`);
