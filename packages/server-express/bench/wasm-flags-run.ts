/**
 * What process-wide WebAssembly flags (set with v8.setFlagsFromString before the embedded
 * database's worker compiles PGlite) do to a restart on an existing folder: open time, RSS and
 * other anonymous memory after opening and after a workload of audit COPY batches and point
 * queries, and the database worker's CPU per statement (/proc). One variant per process (V8 flags
 * are per process), so it is not in `pnpm bench`: run it alternating the variants and take medians,
 *   FLAGS="--liftoff-only" TEMPLATE=<a migrated data folder, copied per run> tsx bench/wasm-flags-run.ts
 * (without TEMPLATE a new database is made first). Prints one JSON line. BATCHES (60) and QUERIES
 * (2,000) size the workload; MARKS=1 pauses 20 s before and after it (MARK lines) so that
 * `callgrind_control -z` / `-d` can count the workload alone under valgrind.
 * Figures: docs/server.md, "Hot path revision (issue #19): RSS", fifth round.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { sql } from 'drizzle-orm';
import { createAuditLog } from '../src/storage/audit-log';
import { openDatabase } from '../src/storage/open-database';
import type { ChunkRow } from '../src/storage/store-rows';
import { stampedSegmentRow } from './stamped-segment-row';
import { memorySplit } from './memory-split';
import { threadsCpu } from './process-cpu';

const FLAGS = (process.env.FLAGS ?? '').split(/\s+/).filter(Boolean);
for (const flag of FLAGS) setFlagsFromString(flag);
const BATCHES = Number(process.env.BATCHES ?? 60);
const ROWS = 250;
const EVENTS = 10;
const QUERIES = Number(process.env.QUERIES ?? 2000);

const dir = mkdtempSync(join(tmpdir(), 'twin-wasm4-'));
const dataDir = join(dir, 'pglite');
if (process.env.TEMPLATE) cpSync(process.env.TEMPLATE, dataDir, { recursive: true });
const mib = (bytes: number) => +(bytes / 2 ** 20).toFixed(1);
const workerCpu = () => threadsCpu().filter((t) => t.tid !== process.pid && t.nice > 0).reduce((s, t) => s + t.cpuNanos, 0);
const otherCpu = () => threadsCpu().filter((t) => t.tid !== process.pid && t.nice <= 0).reduce((s, t) => s + t.cpuNanos, 0);

const before = memorySplit();
const t0 = performance.now();
const opened = await openDatabase({ dataDir });
const openMs = performance.now() - t0;
await new Promise((r) => setTimeout(r, 1000));
const open = memorySplit();

// MARKS=1: pauses before and after the workload, for callgrind_control to zero and dump the counts around it.
const mark = async (name: string) => {
  if (process.env.MARKS !== '1') return;
  console.log(`MARK ${name}`);
  await new Promise((r) => setTimeout(r, 20_000));
};
await mark('opened');
const log = createAuditLog(opened.db, { intervalMs: 3_600_000, chunkIntervalMs: 3_600_000, onWriteError: undefined });
let stream = 0;
function batch(): ChunkRow[] {
  const rows: ChunkRow[] = [];
  for (let i = 0; i < ROWS; i++) {
    rows.push(stampedSegmentRow(`str_${(stream++).toString(36).padStart(22, '0')}`, 1, EVENTS));
  }
  return rows;
}
const copyNs: number[] = [];
const queryNs: number[] = [];
const otherStart = otherCpu();
for (let i = 0; i < BATCHES; i++) {
  const rows = batch();
  const w0 = workerCpu();
  for (const row of rows) log.chunks.push(row);
  await log.chunks.flush();
  copyNs.push((workerCpu() - w0) / ROWS);
  // Point queries between batches, as openings and lookups run between audit batches.
  const q0 = workerCpu();
  const per = QUERIES / BATCHES;
  for (let k = 0; k < per; k++) {
    const id = `str_${Math.floor(Math.random() * stream).toString(36).padStart(22, '0')}`;
    await opened.db.execute(sql`select seq, data from stream_chunks where stream_id = ${id} order by seq limit 5`);
  }
  queryNs.push((workerCpu() - q0) / per);
}
await mark('done');
await new Promise((r) => setTimeout(r, 2000));
const after = memorySplit();
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const late = (v: number[]) => median(v.slice(Math.floor(v.length / 2)));
console.log(
  JSON.stringify({
    flags: FLAGS.join(' ') || 'base',
    openMs: Math.round(openMs),
    rssOpen: mib(open.rss - before.rss),
    anonOpen: mib(open.otherAnonymous - before.otherAnonymous),
    rssAfter: mib(after.rss - before.rss),
    anonAfter: mib(after.otherAnonymous - before.otherAnonymous),
    wasmAfter: mib(after.wasm),
    copyUsPerRow: +(late(copyNs) / 1000).toFixed(2),
    queryUs: +(late(queryNs) / 1000).toFixed(1),
    otherThreadsMs: Math.round((otherCpu() - otherStart) / 1e6),
  }),
);
await opened.close();
rmSync(dir, { recursive: true, force: true });
