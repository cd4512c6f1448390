import { encodeUtf8 } from '../codec/utf8';
import type { CipherAlg, CodecName } from '../protocol/stream-event';

/** What a sealed frame is bound to. Changing any field makes the frame fail to open. */
export interface FrameBinding {
  streamId: string;
  event: 'chunk' | 'resync' | 'complete' | 'error';
  seq: number;
  /**
   * Seq of the previous sealed frame on the same connection, -1 for the first. Chaining the frames
   * is what lets the receiver notice a frame that was dropped or moved, not only one that was altered.
   */
  prevSeq: number;
  codec: CodecName;
  alg: CipherAlg;
  kid: string;
}

const LABEL = 'twin/frame/v1';

/**
 * Encodes a {@link FrameBinding} as AEAD associated data: a version label, then every field as a
 * 4-byte big-endian length and its UTF-8 bytes. Length prefixes make the encoding injective (no two
 * bindings share bytes), and the label keeps it apart from any other use of the key.
 */
export function frameAssociatedData(binding: FrameBinding): Uint8Array {
  const fields = [LABEL, binding.streamId, binding.event, String(binding.seq), String(binding.prevSeq), binding.codec, binding.alg, binding.kid];
  // Runs once per frame on both ends. Ids, numbers and enum names are almost always ASCII, where a
  // UTF-8 byte is the char code: writing them directly takes ~0.3 µs against ~3 µs for eight
  // TextEncoder calls (a third of the per-frame budget). Same bytes either way (tested).
  let length = 0;
  for (const field of fields) {
    for (let i = 0; i < field.length; i++) if (field.charCodeAt(i) > 0x7f) return encodeFields(fields.map(encodeUtf8));
    length += 4 + field.length;
  }
  const out = new Uint8Array(length);
  let offset = 0;
  for (const field of fields) {
    offset = writeLength(out, offset, field.length);
    for (let i = 0; i < field.length; i++) out[offset + i] = field.charCodeAt(i);
    offset += field.length;
  }
  return out;
}

function encodeFields(parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += 4 + p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    offset = writeLength(out, offset, p.length);
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

function writeLength(out: Uint8Array, offset: number, n: number): number {
  out[offset] = n >>> 24;
  out[offset + 1] = (n >>> 16) & 0xff;
  out[offset + 2] = (n >>> 8) & 0xff;
  out[offset + 3] = n & 0xff;
  return offset + 4;
}
