import type { ChunkRow } from './store-rows';

/** The columns {@link ChunkCopyBatch} writes, in its order. */
export const CHUNK_COPY_COLUMNS = '(stream_id, seq, last_seq, tenant_id, event, data, bytes, created_at)';

/** Binary COPY's file header: signature, flags (no OIDs), header extension length 0. */
const HEADER = [0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0];
/** Postgres' timestamp epoch (2000-01-01T00:00:00Z) in Unix milliseconds. */
const PG_EPOCH_MS = 946_684_800_000;
const FIELDS = 8;
const TWO_32 = 4_294_967_296;
const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/**
 * Chunk rows in COPY's binary format (`with (format binary)`, columns {@link CHUNK_COPY_COLUMNS}),
 * encoded as they are added into one growing buffer: what a batch of the audit copy waits in, so
 * that what waits for the database is bytes outside the JS heap, not row objects and their strings
 * that the collector would promote and mark (see docs/server.md, the sixth round's audit copy).
 *
 * Binary, not text: Postgres reads each integer and the timestamp as the bytes it stores instead of
 * parsing their text (the timestamp's parse alone was some 2 µs a row in the embedded database's
 * WebAssembly), and text fields need no escaping pass here. The same rows land (a test reads them
 * back against the text format's), and {@link rows} gives them back (a batch COPY refused goes
 * through the INSERT).
 */
export class ChunkCopyBatch {
  private data: Uint8Array<ArrayBuffer>;
  private view: DataView;
  private at = HEADER.length;
  /** Rows added. */
  size = 0;

  constructor(capacity = 4_096) {
    this.data = new Uint8Array(Math.max(capacity, 64));
    this.view = new DataView(this.data.buffer);
    this.data.set(HEADER);
  }

  add(r: ChunkRow): void {
    // Room for the row: at most 3 bytes per UTF-16 unit of its texts, 4 per field length, 8 per
    // number, and the trailer's 2.
    const room = 2 + FIELDS * 4 + 3 * (r.streamId.length + r.tenantId.length + r.event.length + r.data.length) + 3 * 4 + 8 + 2;
    if (this.data.length - this.at < room) this.grow(room);
    const view = this.view;
    view.setInt16(this.at, FIELDS);
    this.at += 2;
    this.text(r.streamId);
    this.int4(r.seq);
    this.int4(r.lastSeq ?? r.seq);
    this.text(r.tenantId);
    this.text(r.event);
    this.text(r.data);
    this.int4(r.bytes);
    // timestamptz: microseconds since 2000-01-01 as int64 (high and low halves: no BigInt per row).
    const micros = ((r.createdAt ?? new Date()).getTime() - PG_EPOCH_MS) * 1_000;
    const high = Math.floor(micros / TWO_32);
    view.setInt32(this.at, 8);
    view.setInt32(this.at + 4, high);
    view.setUint32(this.at + 8, micros - high * TWO_32);
    this.at += 12;
    this.size++;
  }

  /** The COPY data of the rows so far (trailer included): a view of this batch's buffer. */
  bytes(): Uint8Array<ArrayBuffer> {
    // The trailer, a field count of -1, after the rows (add() always leaves room for it; a later
    // add() writes over it).
    this.view.setInt16(this.at, -1);
    return this.data.subarray(0, this.at + 2);
  }

  /** The rows, decoded back from the bytes (for the INSERT a refused COPY falls back to). */
  rows(): ChunkRow[] {
    const data = this.data;
    const view = this.view;
    let at = HEADER.length;
    const text = () => {
      const length = view.getInt32(at);
      const value = utf8Decoder.decode(data.subarray(at + 4, at + 4 + length));
      at += 4 + length;
      return value;
    };
    const int4 = () => {
      const value = view.getInt32(at + 4);
      at += 8;
      return value;
    };
    const rows: ChunkRow[] = [];
    for (let i = 0; i < this.size; i++) {
      at += 2;
      const streamId = text();
      const seq = int4();
      const lastSeq = int4();
      const tenantId = text();
      const event = text();
      const rowData = text();
      const bytes = int4();
      const micros = view.getInt32(at + 4) * TWO_32 + view.getUint32(at + 8);
      at += 12;
      rows.push({ streamId, seq, lastSeq, tenantId, event, data: rowData, bytes, createdAt: new Date(micros / 1_000 + PG_EPOCH_MS) });
    }
    return rows;
  }

  private text(value: string): void {
    const written = utf8.encodeInto(value, this.data.subarray(this.at + 4)).written;
    this.view.setInt32(this.at, written);
    this.at += 4 + written;
  }

  private int4(value: number): void {
    this.view.setInt32(this.at, 4);
    this.view.setInt32(this.at + 4, value);
    this.at += 8;
  }

  private grow(room: number): void {
    const grown = new Uint8Array(Math.max(this.data.length * 2, this.at + room));
    grown.set(this.data.subarray(0, this.at));
    this.data = grown;
    this.view = new DataView(grown.buffer);
  }
}

/** Chunk rows in COPY's binary format, encoded into one buffer of their own (see {@link ChunkCopyBatch}). */
export function chunkRowsCopyData(rows: readonly ChunkRow[]): Uint8Array<ArrayBuffer> {
  const batch = new ChunkCopyBatch(Math.max(4_096, rows.length * 384));
  for (const row of rows) batch.add(row);
  return batch.bytes();
}
