import { Deflate, Gzip } from 'fflate';
import { TwinError } from '../errors/twin-error';
import type { CodecName } from '../protocol/stream-event';
import { syncFlush } from './deflate-sync-flush';
import { concatChunks } from './concat-chunks';
import { describeValue } from './describe-value';

/** Compresses the frames of ONE connection, in order, each against the frames before it. */
export interface FrameCompressor {
  readonly codec: CodecName;
  /** Compresses one frame; the result decompresses completely on its own, given the earlier ones. */
  compress(frame: Uint8Array): Uint8Array;
}

/** Tuning for the compressing codecs (`gzip`, `deflate`). */
export interface FrameCompressorOptions {
  /** DEFLATE level 0–9; default 6 (zlib's default). */
  level?: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;
  /**
   * fflate memory level 0–12 (hash table of 2^(12+mem) entries). Default 4 (128 KB), instead of
   * fflate's streaming default of 2 MB per context: a server holds one context per compressed
   * connection, and on frames of a few hundred bytes a bigger table buys no ratio (measured).
   */
  mem?: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12;
}

/**
 * Makes the compressor for one SSE connection (docs/design.md: compression contexts live per
 * connection). `deflate` is a raw DEFLATE stream (RFC 1951); `gzip` is one gzip member (RFC 1952)
 * whose 10-byte header travels with the first frame and whose CRC trailer is never sent, because a
 * connection's context is never finished — integrity comes from the cipher when one is used.
 * Every frame ends with a sync flush, so the receiver can decode it fully before the next arrives,
 * while back-references still reach into the last 32 KB of earlier frames.
 *
 * Memory: about 100 KB of input window plus the hash tables (~200 KB at the default `mem`) per
 * compressing connection, allocated on the first frame.
 */
export function createFrameCompressor(codec: CodecName, options: FrameCompressorOptions = {}): FrameCompressor {
  if (codec === 'identity') return { codec, compress: (frame) => checkFrame(frame) };
  if (codec !== 'gzip' && codec !== 'deflate') {
    throw new TwinError('invalid_argument', `codec must be 'identity', 'gzip' or 'deflate', got ${describeValue(codec)}`);
  }
  const level = options.level ?? 6;
  const mem = options.mem ?? 4;
  let chunks: Uint8Array[] = [];
  const collect = (chunk: Uint8Array) => {
    if (chunk.length > 0) chunks.push(chunk);
  };
  let stream: Deflate | Gzip | undefined;
  return {
    codec,
    compress(frame) {
      checkFrame(frame);
      stream ??= codec === 'gzip' ? new Gzip({ level, mem }, collect) : new Deflate({ level, mem }, collect);
      chunks = [];
      stream.push(frame);
      syncFlush(stream, collect);
      return concatChunks(chunks);
    },
  };
}

function checkFrame(frame: Uint8Array): Uint8Array {
  if (!(frame instanceof Uint8Array)) {
    throw new TwinError('invalid_argument', `frame must be a Uint8Array, got ${describeValue(frame)}`);
  }
  return frame;
}
