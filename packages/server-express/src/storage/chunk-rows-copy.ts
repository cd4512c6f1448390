import type { ChunkRow } from './store-rows';

/** The columns {@link chunkRowsCopyData} writes, in its order. */
export const CHUNK_COPY_COLUMNS = '(stream_id, seq, last_seq, tenant_id, event, data, bytes, created_at)';

/** Binary COPY's file header: signature, flags (no OIDs), header extension length 0. */
const HEADER = [0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0];
/** Postgres' timestamp epoch (2000-01-01T00:00:00Z) in Unix milliseconds. */
const PG_EPOCH_MS = 946_684_800_000;
const FIELDS = 8;
const utf8 = new TextEncoder();

/**
 * Chunk rows in COPY's binary format (`with (format binary)`, columns {@link CHUNK_COPY_COLUMNS}),
 * encoded into one buffer of their own, which moves to the database's worker thread (one buffer,
 * not one string of the batch: see docs/server.md, the audit copy as bytes).
 *
 * Binary, not text: Postgres reads each integer and the timestamp as the bytes it stores instead of
 * parsing their text (the timestamp's parse alone was some 2 µs a row in the embedded database's
 * WebAssembly), and text fields need no escaping pass here. The same rows land (a test reads them
 * back against the text format's).
 */
export function chunkRowsCopyData(rows: readonly ChunkRow[]): Uint8Array<ArrayBuffer> {
  let data = new Uint8Array(Math.max(4_096, rows.length * 384));
  let view = new DataView(data.buffer);
  data.set(HEADER);
  let at = HEADER.length;
  const text = (value: string) => {
    const written = utf8.encodeInto(value, data.subarray(at + 4)).written;
    view.setInt32(at, written);
    at += 4 + written;
  };
  const int4 = (value: number) => {
    view.setInt32(at, 4);
    view.setInt32(at + 4, value);
    at += 8;
  };
  for (const r of rows) {
    // Room for the row: at most 3 bytes per UTF-16 unit of its texts, 4 per field length, 8 per number.
    const room = 2 + FIELDS * 4 + 3 * (r.streamId.length + r.tenantId.length + r.event.length + r.data.length) + 3 * 4 + 8 + 2;
    if (data.length - at < room) {
      const grown = new Uint8Array(Math.max(data.length * 2, at + room));
      grown.set(data.subarray(0, at));
      data = grown;
      view = new DataView(data.buffer);
    }
    view.setInt16(at, FIELDS);
    at += 2;
    text(r.streamId);
    int4(r.seq);
    int4(r.lastSeq ?? r.seq);
    text(r.tenantId);
    text(r.event);
    text(r.data);
    int4(r.bytes);
    // timestamptz: microseconds since 2000-01-01 as int64 (high and low halves: no BigInt per row).
    const micros = ((r.createdAt ?? new Date()).getTime() - PG_EPOCH_MS) * 1_000;
    const high = Math.floor(micros / 4_294_967_296);
    view.setInt32(at, 8);
    view.setInt32(at + 4, high);
    view.setUint32(at + 8, micros - high * 4_294_967_296);
    at += 12;
  }
  // The trailer: a field count of -1.
  view.setInt16(at, -1);
  at += 2;
  return data.subarray(0, at);
}
