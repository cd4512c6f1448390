import type { Deflate, Gzip } from 'fflate';
import { TwinError } from '../errors/twin-error';

/**
 * A correct DEFLATE sync flush (zlib's Z_SYNC_FLUSH) for fflate's streaming `Deflate` and `Gzip`.
 *
 * Why not `stream.flush(true)`: in fflate 0.8.3 it writes the empty stored block at the wrong bit
 * position whenever the last block did not end on a byte boundary (fflate issues #267 and PR #286:
 * `wfblk(c, this.s.r, et)` passes the packed bit state instead of the bit offset). The output then
 * fails in zlib and even fflate's own `Inflate` stops yielding data, which we reproduced with LLM
 * text frames. `flush(false)` is correct: it emits every complete byte and keeps the last 0–7 bits
 * of the stream in `s.r` (bit offset in the low 3 bits, the partial byte above them). We finish the
 * flush ourselves exactly as zlib does: a non-final stored block header (3 zero bits) at that bit
 * offset, padding to the byte boundary, then LEN = 0x0000 and NLEN = 0xFFFF. Afterwards the stream
 * is byte-aligned, so the next block starts at bit 0 and `s.r` is 0.
 *
 * This reads one private field of fflate; the version is pinned (`~0.8.3`) and the tests decode
 * every flushed frame with node:zlib as an independent reference, so a change in fflate is caught.
 */
export function syncFlush(stream: Deflate | Gzip, emit: (bytes: Uint8Array) => void): void {
  stream.flush(false);
  const state = (stream as unknown as { s?: { r?: unknown } }).s;
  if (!state || typeof state.r !== 'number') {
    throw new TwinError('internal', 'Unsupported fflate version: the deflate bit state is not where fflate 0.8 keeps it.');
  }
  const bitOffset = state.r & 7;
  const partialByte = bitOffset === 0 ? 0 : state.r >> 3;
  // 3 header bits from `bitOffset` need one byte when they fit (offset ≤ 5), otherwise two.
  const headerBytes = bitOffset <= 5 ? 1 : 2;
  const marker = new Uint8Array(headerBytes + 4);
  marker[0] = partialByte; // the header bits themselves are all zero
  marker[headerBytes + 2] = 0xff;
  marker[headerBytes + 3] = 0xff;
  state.r = 0;
  emit(marker);
}
