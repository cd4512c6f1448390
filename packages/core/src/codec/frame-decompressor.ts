import { Gunzip, Inflate } from 'fflate';
import { TwinError } from '../errors/twin-error';
import type { CodecName } from '../protocol/stream-event';
import { concatChunks } from './concat-chunks';
import { describeValue } from './describe-value';

/** Decompresses the frames of ONE received connection, in the order they were compressed. */
export interface FrameDecompressor {
  readonly codec: CodecName;
  /** Returns the complete bytes of one frame. Throws `decode_failed` for data that does not inflate. */
  decompress(data: Uint8Array): Uint8Array;
}

/**
 * Makes the decompressor for one received connection; make a new one on every reconnect, because
 * the sender starts a fresh context per connection. After a frame fails to inflate the context is
 * lost (later frames may refer to bytes we never got), so every later call throws `decode_failed`
 * too instead of returning wrong text.
 *
 * fflate's streaming `Inflate`/`Gunzip` decode every complete block they hold on each push; since
 * each frame ends with a sync flush, one push yields the whole frame (the tests check this for
 * every frame of random sequences).
 */
export function createFrameDecompressor(codec: CodecName): FrameDecompressor {
  if (codec === 'identity') {
    return {
      codec,
      decompress(data) {
        if (!(data instanceof Uint8Array)) throw notBytes(data);
        return data;
      },
    };
  }
  if (codec !== 'gzip' && codec !== 'deflate') {
    throw new TwinError('invalid_argument', `codec must be 'identity', 'gzip' or 'deflate', got ${describeValue(codec)}`);
  }
  let chunks: Uint8Array[] = [];
  const collect = (chunk: Uint8Array) => {
    if (chunk.length > 0) chunks.push(chunk);
  };
  let stream: Inflate | Gunzip | undefined;
  let failure: unknown;
  return {
    codec,
    decompress(data) {
      if (!(data instanceof Uint8Array)) throw notBytes(data);
      if (failure !== undefined) {
        throw new TwinError('decode_failed', `The ${codec} context of this connection was lost at an earlier frame; reconnect to start a new one.`, { cause: failure });
      }
      stream ??= codec === 'gzip' ? new Gunzip(collect) : new Inflate(collect);
      chunks = [];
      try {
        stream.push(data);
      } catch (error) {
        failure = error;
        throw new TwinError('decode_failed', `The ${codec} payload could not be decompressed.`, { cause: error });
      }
      return concatChunks(chunks);
    },
  };
}

function notBytes(value: unknown): TwinError {
  return new TwinError('invalid_argument', `data must be a Uint8Array, got ${describeValue(value)}`);
}
