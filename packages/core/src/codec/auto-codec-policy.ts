import type { CodecName } from '../protocol/stream-event';

/**
 * Decides, frame by frame, whether `auto` compresses (`deflate`) or sends `identity`.
 *
 * The decision is taken BEFORE compressing, from the frame's size and a running estimate of the
 * ratio this connection achieves. Deciding after compressing would be wrong: a frame fed to the
 * compressor and then sent as identity leaves the sender's context holding bytes the receiver's
 * inflater never saw, and every later back-reference into them would decode to garbage. Identity
 * frames therefore never touch either context; the price is that later frames cannot refer back to
 * them, which is small because they are the small or incompressible ones.
 *
 * A frame compresses when `estimatedCompressed × overhead < size`, where the estimate is
 * `ratio × size + FLUSH_OVERHEAD_BYTES` and `overhead` is 4/3 when the alternative is a plain chunk
 * (no cipher: the sealed form is base64, the plain form is the JSON itself) and 1 when the frame is
 * encrypted anyway (both forms are base64). The ratio is an exponential moving average of the
 * ratios actually achieved; while compression does not pay, every `probeEvery`-th eligible frame
 * is compressed anyway, so the estimate recovers when the content changes.
 */
export interface AutoCodecPolicy {
  /** The codec for a frame of `size` bytes. */
  choose(size: number): CodecName;
  /** Feeds back the result of a frame that was compressed. */
  record(size: number, compressedSize: number): void;
  /** The current ratio estimate (compressed / raw, without the flush overhead). */
  readonly ratio: number;
}

export interface AutoCodecPolicyOptions {
  /** True when frames are encrypted (base64 applies either way). */
  encrypted: boolean;
  /** Frames smaller than this are never compressed. Default 64 bytes. */
  minBytes?: number;
  /** Initial ratio estimate. Default 0.5 (LLM text with JSON framing achieves ~0.2–0.5). */
  initialRatio?: number;
  /** While compression does not pay, compress every n-th eligible frame to re-measure. Default 16. */
  probeEvery?: number;
}

/** Bytes a sync-flushed DEFLATE frame adds besides its data: block header, end-of-block, 00 00 FF FF. */
export const FLUSH_OVERHEAD_BYTES = 6;
const SMOOTHING = 0.25;

export function createAutoCodecPolicy(options: AutoCodecPolicyOptions): AutoCodecPolicy {
  const overhead = options.encrypted ? 1 : 4 / 3;
  const minBytes = options.minBytes ?? 64;
  const probeEvery = Math.max(1, options.probeEvery ?? 16);
  let ratio = options.initialRatio ?? 0.5;
  let skipped = 0;
  return {
    get ratio() {
      return ratio;
    },
    choose(size) {
      if (size < minBytes) return 'identity';
      const estimate = (ratio * size + FLUSH_OVERHEAD_BYTES) * overhead;
      if (estimate < size) {
        skipped = 0;
        return 'deflate';
      }
      skipped += 1;
      if (skipped >= probeEvery) {
        skipped = 0;
        return 'deflate';
      }
      return 'identity';
    },
    record(size, compressedSize) {
      if (size <= 0) return;
      const achieved = Math.max(0, compressedSize - FLUSH_OVERHEAD_BYTES) / size;
      ratio += SMOOTHING * (achieved - ratio);
    },
  };
}
