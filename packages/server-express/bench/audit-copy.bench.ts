/**
 * The audit copy's cost in the embedded database: one batch of stream_chunks segments written by the
 * audit log as it runs (COPY) against the same batches written by the INSERT it used before and
 * still uses on Postgres (the peer), alternating in one run on one database, medians. Measures the
 * process's CPU (both threads: the main thread's encoding, the PGlite worker's statement).
 * Knobs: BATCHES (40 per variant), ROWS (250 per batch: 1,000 streams' segments of a 250 ms batch),
 * EVENTS (10 chunk texts per segment: one second of a stream at 10 events/s).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuditLog } from '../src/storage/audit-log';
import { openDatabase } from '../src/storage/open-database';
import type { ChunkRow } from '../src/storage/store-rows';
import { stampedSegmentRow } from './stamped-segment-row';

const BATCHES = Number(process.env.BATCHES ?? 40);
const ROWS = Number(process.env.ROWS ?? 250);
const EVENTS = Number(process.env.EVENTS ?? 10);

const dir = mkdtempSync(join(tmpdir(), 'audit-copy-bench-'));
const opened = await openDatabase({ dataDir: join(dir, 'pglite') });
// The same database without its bulk load: the audit log falls back to the INSERT.
const copySymbol = Object.getOwnPropertySymbols(opened.db).find((symbol) => symbol.description === 'bulk copy')!;
const withoutCopy = Object.create(opened.db, { [copySymbol]: { value: undefined } }) as typeof opened.db;
const logs = {
  copy: createAuditLog(opened.db, { intervalMs: 3_600_000, chunkIntervalMs: 3_600_000, onWriteError: undefined }),
  insert: createAuditLog(withoutCopy, { intervalMs: 3_600_000, chunkIntervalMs: 3_600_000, onWriteError: undefined }),
};

let stream = 0;
/** One batch: a segment of every stream, as the stamped provider's texts (`word |timestamp|`). */
function batch(): ChunkRow[] {
  const rows: ChunkRow[] = [];
  for (let i = 0; i < ROWS; i++) {
    rows.push(stampedSegmentRow(`str_${(stream++).toString(36).padStart(22, '0')}`, 1, EVENTS));
  }
  return rows;
}

const micros: Record<keyof typeof logs, number[]> = { copy: [], insert: [] };
for (let i = 0; i < BATCHES + 5; i++) {
  for (const name of (i % 2 === 0 ? ['copy', 'insert'] : ['insert', 'copy']) as Array<keyof typeof logs>) {
    const rows = batch();
    const before = process.cpuUsage();
    for (const row of rows) logs[name].chunks.push(row);
    await logs[name].chunks.flush();
    const used = process.cpuUsage(before);
    if (i >= 5) micros[name].push((used.user + used.system) / ROWS); // the first five warm up
  }
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const copy = median(micros.copy);
const insert = median(micros.insert);
console.log(
  `audit copy, ${ROWS} segments of ${EVENTS} chunks per batch, process CPU per segment (median of ${BATCHES}): COPY ${copy.toFixed(1)} µs, INSERT ${insert.toFixed(1)} µs (${(copy / insert).toFixed(2)}×); ` +
    `per event ${(copy / EVENTS).toFixed(2)} vs ${(insert / EVENTS).toFixed(2)} µs`,
);
await opened.close();
rmSync(dir, { recursive: true, force: true });
