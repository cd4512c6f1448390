import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeUtf8, encodeUtf8 } from './utf8';

describe('utf8', () => {
  it('round-trips any string of whole code points', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        expect(decodeUtf8(encodeUtf8(s))).toBe(s);
      }),
    );
  });

  it('rejects malformed bytes with decode_failed instead of inserting U+FFFD', () => {
    expect(() => decodeUtf8(Uint8Array.of(0x7b, 0xc3))).toThrowError(expect.objectContaining({ code: 'decode_failed' }));
    expect(() => decodeUtf8(Uint8Array.of(0xed, 0xa0, 0x80))).toThrowError(expect.objectContaining({ code: 'decode_failed' }));
  });

  it('keeps a leading byte-order mark as content', () => {
    expect(decodeUtf8(Uint8Array.of(0xef, 0xbb, 0xbf, 0x41))).toBe('\uFEFFA');
  });
});
