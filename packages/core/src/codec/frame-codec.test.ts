import { constants, gunzipSync, inflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFrameCompressor } from './frame-compressor';
import { createFrameDecompressor } from './frame-decompressor';

const utf8 = new TextEncoder();
const text = new TextDecoder();
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

/** Node's zlib, an independent decoder, must read the concatenation of all frames so far. */
function zlibDecode(codec: 'gzip' | 'deflate', data: Uint8Array): Buffer {
  const opts = { finishFlush: constants.Z_SYNC_FLUSH };
  return codec === 'gzip' ? gunzipSync(data, opts) : inflateRawSync(data, opts);
}

/** Roughly what an LLM stream looks like as frames: JSON text deltas of 50–500 bytes. */
function llmFrames(count: number, seed = 7): string[] {
  const words = 'the model streams tokens over server-sent events and every frame carries a few of them, sometimes code like `const x = 1;` or Ünïcödé 漢字 🎉'.split(' ');
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  return Array.from({ length: count }, () => {
    let t = '';
    const n = 50 + Math.floor(rnd() * 450);
    while (t.length < n) t += words[Math.floor(rnd() * words.length)] + ' ';
    return JSON.stringify({ text: t });
  });
}

describe.each(['deflate', 'gzip'] as const)('%s frame codec', (codec) => {
  it('yields every frame completely right after it is pushed, for random frame sequences (unicode, empty)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 300 }), fc.constant(''), fc.string({ maxLength: 3000 })), { maxLength: 40 }), (frames) => {
        const compressor = createFrameCompressor(codec);
        const decompressor = createFrameDecompressor(codec);
        const sent: Uint8Array[] = [];
        for (const frame of frames) {
          const data = compressor.compress(utf8.encode(frame));
          sent.push(data);
          expect(text.decode(decompressor.decompress(data))).toBe(frame);
        }
        expect(zlibDecode(codec, Buffer.concat(sent)).toString('utf8')).toBe(frames.join(''));
      }),
      { numRuns: 150 },
    );
  });

  it('keeps 3,000 LLM text frames (far past the 32 KB window and fflate buffer) in sync, each ending on a byte boundary', () => {
    const compressor = createFrameCompressor(codec);
    const decompressor = createFrameDecompressor(codec);
    const sent: Uint8Array[] = [];
    let raw = 0;
    let compressed = 0;
    for (const frame of llmFrames(3_000)) {
      const bytes = utf8.encode(frame);
      const data = compressor.compress(bytes);
      // Sync flush marker: the receiver needs nothing more to finish this frame.
      expect([...data.subarray(-4)]).toEqual([0, 0, 0xff, 0xff]);
      raw += bytes.length;
      compressed += data.length;
      sent.push(data);
      expect(same(decompressor.decompress(data), bytes)).toBe(true);
    }
    expect(zlibDecode(codec, Buffer.concat(sent)).length).toBe(raw);
    expect(compressed / raw).toBeLessThan(0.5);
  });

  it('compresses a later frame against earlier ones (per-connection context)', () => {
    const frame = utf8.encode(llmFrames(1, 99)[0]!);
    const compressor = createFrameCompressor(codec);
    const first = compressor.compress(frame);
    const second = compressor.compress(frame);
    // The repeat is one back-reference: a handful of bytes instead of the whole frame again.
    expect(second.length).toBeLessThan(20);
    expect(first.length).toBeGreaterThan(second.length * 3);
    const decompressor = createFrameDecompressor(codec);
    expect(same(decompressor.decompress(first), frame)).toBe(true);
    expect(same(decompressor.decompress(second), frame)).toBe(true);
  });

  it('round-trips frames larger than the compressor buffer (1 MB of mixed bytes)', () => {
    const big = Uint8Array.from({ length: 1_000_000 }, (_, i) => (i % 1_000 < 500 ? i & 7 : (i * 2654435761) >>> 24));
    const compressor = createFrameCompressor(codec);
    const decompressor = createFrameDecompressor(codec);
    const small = utf8.encode('{"text":"after the big one"}');
    expect(same(decompressor.decompress(compressor.compress(big)), big)).toBe(true);
    expect(same(decompressor.decompress(compressor.compress(small)), small)).toBe(true);
  });

  it('rejects corrupt data with decode_failed and refuses every later frame of that connection', () => {
    const compressor = createFrameCompressor(codec);
    const decompressor = createFrameDecompressor(codec);
    const good = compressor.compress(utf8.encode('{"text":"hello hello hello"}'));
    const corrupt = codec === 'gzip' ? Uint8Array.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff]) : Uint8Array.from([0xff, 0xff, 0xff, 0xff]);
    expect(() => decompressor.decompress(corrupt)).toThrowError(expect.objectContaining({ code: 'decode_failed' }));
    expect(() => decompressor.decompress(good)).toThrowError(expect.objectContaining({ code: 'decode_failed', message: expect.stringMatching(/lost at an earlier frame/) }));
  });
});

describe('identity codec and argument guards', () => {
  it('passes identity frames through untouched', () => {
    const bytes = utf8.encode('{"text":"plain"}');
    expect(createFrameCompressor('identity').compress(bytes)).toBe(bytes);
    expect(createFrameDecompressor('identity').decompress(bytes)).toBe(bytes);
  });

  it('names the argument that is wrong', () => {
    expect(() => createFrameCompressor('brotli' as never)).toThrowError(expect.objectContaining({ code: 'invalid_argument', message: expect.stringMatching(/^codec must be/) }));
    expect(() => createFrameDecompressor('zstd' as never)).toThrowError(expect.objectContaining({ code: 'invalid_argument', message: expect.stringMatching(/^codec must be/) }));
    expect(() => createFrameCompressor('deflate').compress('text' as never)).toThrowError(expect.objectContaining({ code: 'invalid_argument', message: 'frame must be a Uint8Array, got string' }));
    expect(() => createFrameDecompressor('gzip').decompress([1, 2] as never)).toThrowError(expect.objectContaining({ code: 'invalid_argument', message: 'data must be a Uint8Array, got array(2)' }));
  });
});
