/**
 * What one stream_chunks row costs the embedded database, by part: the audit copy's rows (2,000
 * streams' one-second segments of 10 chunk texts, random stream ids as the server mints them) loaded
 * with COPY into tables that differ in one thing each, batch by batch in turns on one PGlite in this
 * thread (so the process's CPU is the database's), medians per row:
 * - `text`: COPY's text format, as the audit log loaded its rows before;
 * - `binary`: the binary format, as it does now ({@link chunkRowsCopyData});
 * - `binary, no key`: the same without the primary key (stream_id, seq): the index's share;
 * - `binary, stream index`: no key, a non-unique index on stream_id alone (what the readers need
 *   at least, without the uniqueness that makes a retried batch a no-op);
 * - `one int column`: a row of one integer: COPY's fixed cost per row.
 * Knobs: ROWS (500 per COPY: 2,000 streams' segments of a 250 ms batch), BATCHES (100).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { CHUNK_COPY_COLUMNS, chunkRowsCopyData } from '../src/storage/chunk-rows-copy';
import type { ChunkRow } from '../src/storage/store-rows';
import { stampedSegmentRow } from './stamped-segment-row';

const ROWS = Number(process.env.ROWS ?? 500);
const BATCHES = Number(process.env.BATCHES ?? 100);

const dir = mkdtempSync(join(tmpdir(), 'copy-row-cost-'));
const pg = await PGlite.create({ dataDir: join(dir, 'pglite'), startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'] });
const columns = `stream_id text not null, seq integer not null, last_seq integer, tenant_id text not null, event text not null, data text not null, bytes integer not null, created_at timestamptz not null`;
const utf8 = new TextEncoder();
const textFormat = (rows: ChunkRow[]) =>
  utf8.encode(rows.map((r) => `${r.streamId}\t${r.seq}\t${r.lastSeq}\t${r.tenantId}\t${r.event}\t${r.data}\t${r.bytes}\t${r.createdAt!.toISOString()}\n`).join(''));
const variants: Record<string, { table: string; index?: string; copy: string; data: (rows: ChunkRow[]) => Uint8Array<ArrayBuffer> }> = {
  text: { table: `${columns}, primary key (stream_id, seq)`, copy: `${CHUNK_COPY_COLUMNS} from '/dev/blob'`, data: textFormat },
  binary: { table: `${columns}, primary key (stream_id, seq)`, copy: `${CHUNK_COPY_COLUMNS} from '/dev/blob' with (format binary)`, data: chunkRowsCopyData },
  'binary, no key': { table: columns, copy: `${CHUNK_COPY_COLUMNS} from '/dev/blob' with (format binary)`, data: chunkRowsCopyData },
  'binary, stream index': { table: columns, index: 'stream_id', copy: `${CHUNK_COPY_COLUMNS} from '/dev/blob' with (format binary)`, data: chunkRowsCopyData },
  'one int column': { table: 'x integer', copy: `(x) from '/dev/blob'`, data: (rows) => utf8.encode('1\n'.repeat(rows.length)) },
};
const names = Object.keys(variants);
for (const [i, name] of names.entries()) {
  await pg.exec(`create table t${i} (${variants[name]!.table})`);
  if (variants[name]!.index) await pg.exec(`create index on t${i} (${variants[name]!.index})`);
}

const streams = Array.from({ length: 2_000 }, () => `str_${randomBytes(12).toString('base64url')}`);
let made = 0;
function batch(): ChunkRow[] {
  const rows: ChunkRow[] = [];
  for (let i = 0; i < ROWS; i++, made++) {
    const seq = 1 + Math.floor(made / streams.length) * 10;
    rows.push(stampedSegmentRow(streams[made % streams.length]!, seq, 10));
  }
  return rows;
}

const micros: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
for (let b = 0; b < BATCHES + 3; b++) {
  const rows = batch();
  const order = b % 2 === 0 ? names : [...names].reverse();
  for (const name of order) {
    const variant = variants[name]!;
    const blob = new Blob([variant.data(rows)]);
    const before = process.cpuUsage();
    await pg.query(`copy t${names.indexOf(name)} ${variant.copy}`, [], { blob });
    const used = process.cpuUsage(before);
    if (b >= 3) micros[name]!.push((used.user + used.system) / ROWS); // the first three warm up
  }
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
console.log(`COPY into stream_chunks, ${ROWS} rows per statement, the database's CPU per row (median of ${BATCHES}):`);
for (const name of names) console.log(`  ${name.padEnd(20)} ${median(micros[name]!).toFixed(2)} µs`);
await pg.close();
rmSync(dir, { recursive: true, force: true });
