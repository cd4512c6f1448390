import { encodeUtf8 } from '../codec/utf8';
import type { CipherAlg, CodecName } from '../protocol/stream-event';

/** What a sealed frame is bound to. Changing any field makes the frame fail to open. */
export interface FrameBinding {
  streamId: string;
  event: 'chunk' | 'resync';
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
  const parts = [LABEL, binding.streamId, binding.event, String(binding.seq), String(binding.prevSeq), binding.codec, binding.alg, binding.kid].map(encodeUtf8);
  let length = 0;
  for (const p of parts) length += 4 + p.length;
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const p of parts) {
    view.setUint32(offset, p.length);
    out.set(p, offset + 4);
    offset += 4 + p.length;
  }
  return out;
}
