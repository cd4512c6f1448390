import { constants, inflateRawSync } from 'node:zlib';
import { Deflate } from 'fflate';
import { describe, expect, it } from 'vitest';
import { syncFlush } from './deflate-sync-flush';

function flushFrames(frames: Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[][] = [];
  let current: Uint8Array[] = [];
  const stream = new Deflate((chunk) => current.push(chunk));
  for (const frame of frames) {
    current = [];
    stream.push(frame);
    syncFlush(stream, (marker) => current.push(marker));
    out.push(current);
  }
  return out.map((chunks) => Buffer.concat(chunks));
}

describe('syncFlush', () => {
  it('ends every frame at a byte boundary that zlib can decode up to, whatever bit offset the block ended at', () => {
    // Repeated-byte runs of every length up to 300 end their last block at all 8 bit offsets,
    // including offset 6–7 where the stored block header spills into a second byte.
    const frames = Array.from({ length: 300 }, (_, n) => new Uint8Array(n + 1).fill(97 + (n % 26)));
    const flushed = flushFrames(frames);
    let prefix = Buffer.alloc(0);
    let expected = Buffer.alloc(0);
    for (let i = 0; i < frames.length; i++) {
      prefix = Buffer.concat([prefix, flushed[i]!]);
      expected = Buffer.concat([expected, frames[i]!]);
      expect([...flushed[i]!.subarray(-4)]).toEqual([0, 0, 0xff, 0xff]);
      expect(inflateRawSync(prefix, { finishFlush: constants.Z_SYNC_FLUSH }).equals(expected)).toBe(true);
    }
  });

  it('flushes an empty frame to a bare marker the decoder accepts', () => {
    const [data] = flushFrames([new Uint8Array(0)]);
    expect(inflateRawSync(data!, { finishFlush: constants.Z_SYNC_FLUSH }).length).toBe(0);
  });
});
