import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHUNK_COPY_COLUMNS, ChunkCopyBatch, chunkRowsCopyData } from './chunk-rows-copy';
import type { ChunkRow } from './store-rows';

// Straight into PGlite (not through the audit log, whose INSERT fallback would hide a refused COPY).
describe('chunkRowsCopyData', () => {
  let pg: PGlite;
  beforeAll(async () => {
    pg = await PGlite.create();
    await pg.exec(`create table stream_chunks (stream_id text not null, seq integer not null, last_seq integer, tenant_id text not null,
      event text not null, data text not null, bytes integer not null, created_at timestamptz not null, primary key (stream_id, seq))`);
  });
  afterAll(() => pg.close());

  const read = async (streamId: string) =>
    (
      await pg.query<Record<string, unknown>>(
        `select seq, last_seq, tenant_id, event, data, bytes, (extract(epoch from created_at) * 1000000)::bigint::text as micros from stream_chunks where stream_id = $1 order by seq`,
        [streamId],
      )
    ).rows;
  const copy = (rows: ChunkRow[]) => pg.query(`copy stream_chunks ${CHUNK_COPY_COLUMNS} from '/dev/blob' with (format binary)`, [], { blob: new Blob([chunkRowsCopyData(rows)]) });

  it('lands every field as given: texts byte for byte, integers, the timestamp to the millisecond on either side of 2000', async () => {
    const texts = ['tab\there\r\nnext line\n\\.\nback\\slash \\N', '{"v":1,"seq":1,"texts":["é","🎉","\\u0000?"]}', 'lone \ud800 surrogate', ''];
    const dates = [new Date('2026-01-02T03:04:05.678Z'), new Date('1999-12-31T23:59:59.999Z'), new Date('1969-07-20T20:17:40.001Z'), new Date('2200-01-01T00:00:00.001Z')];
    const rows: ChunkRow[] = texts.map((data, i) => ({ streamId: 's-fields', seq: i * 10 + 1, lastSeq: i * 10 + 9, tenantId: 'ten_ü', event: i === 0 ? 'ev\tent' : 'texts', data, bytes: Buffer.byteLength(data), createdAt: dates[i]! }));
    // A row without last_seq stores its seq (as the INSERT does).
    rows.push({ streamId: 's-fields', seq: 2_147_483_647, tenantId: 't', event: 'end', data: '{}', bytes: 2, createdAt: dates[0]! });
    await copy(rows);
    expect(await read('s-fields')).toEqual(
      rows.map((r) => ({
        seq: r.seq,
        last_seq: r.lastSeq ?? r.seq,
        tenant_id: r.tenantId,
        event: r.event,
        // What TextEncoder makes of a lone surrogate (U+FFFD), as the text format's encoding did.
        data: Buffer.from(r.data).toString(),
        bytes: r.bytes,
        micros: String(r.createdAt!.getTime() * 1000),
      })),
    );
  });

  it('grows its buffer for rows larger than its first guess (one of 200 KiB of 3-byte characters among small ones)', async () => {
    const large = '語'.repeat(200 * 1024);
    const rows: ChunkRow[] = [1, 2, 3].map((seq) => ({ streamId: 's-large', seq, tenantId: 't', event: 'texts', data: seq === 2 ? large : `{"seq":${seq}}`, bytes: 1, createdAt: new Date(0) }));
    await copy(rows);
    expect((await read('s-large')).map((r) => r.data)).toEqual([rows[0]!.data, large, rows[2]!.data]);
  });

  it('is one valid COPY input with no rows', async () => {
    await copy([]);
    expect((await pg.query(`select count(*)::int as n from stream_chunks where stream_id = 's-none'`)).rows).toEqual([{ n: 0 }]);
  });

  it('a batch filled row by row: valid COPY input whenever taken (rows added after a take land too), and its rows decode back to what was added', async () => {
    const batch = new ChunkCopyBatch(64);
    const at = new Date('1999-12-31T23:59:59.999Z');
    const rows: ChunkRow[] = ['{"seq":1}', 'tab\there é 🎉', 'lone \ud800 end', '語'.repeat(5_000)].map((data, i) => ({
      streamId: 's-batch',
      seq: i + 1,
      lastSeq: i + 1,
      tenantId: 'ten_ü',
      event: 'texts',
      data,
      bytes: Buffer.byteLength(data),
      createdAt: new Date(at.getTime() + i * 1_234_567),
    }));
    batch.add(rows[0]!);
    const first = batch.bytes().slice();
    for (const row of rows.slice(1)) batch.add(row);
    expect(batch.size).toBe(4);
    const asWritten = rows.map((r) => ({ ...r, data: Buffer.from(r.data).toString() }));
    expect(batch.rows()).toEqual(asWritten);
    // What the first take held is the first row alone; the whole batch is the four.
    const load = (data: Uint8Array<ArrayBuffer>) => pg.query(`copy stream_chunks ${CHUNK_COPY_COLUMNS} from '/dev/blob' with (format binary)`, [], { blob: new Blob([data]) });
    await load(first);
    expect((await read('s-batch')).map((r) => r.seq)).toEqual([1]);
    await pg.exec(`delete from stream_chunks where stream_id = 's-batch'`);
    await load(batch.bytes());
    expect((await read('s-batch')).map((r) => r.data)).toEqual(asWritten.map((r) => r.data));
    expect(Buffer.from(batch.bytes())).toEqual(Buffer.from(chunkRowsCopyData(rows)));
  });
});
