import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findInvalidUtf8 } from './find-invalid-utf8';

describe('findInvalidUtf8', () => {
  it('finds the first byte of an ill-formed sequence', () => {
    expect(findInvalidUtf8(Buffer.from('{"a":"b"}'))).toBe(-1);
    expect(findInvalidUtf8(Buffer.from([0x7b, 0x22, 0xff, 0x22]))).toBe(2);
    expect(findInvalidUtf8(Buffer.from([0x61, 0xc0, 0xaf]))).toBe(1); // overlong '/'
    expect(findInvalidUtf8(Buffer.from([0x61, 0xed, 0xa0, 0x80]))).toBe(1); // UTF-16 surrogate
    expect(findInvalidUtf8(Buffer.from([0x61, 0x62, 0xe2, 0x82]))).toBe(2); // cut short
    expect(findInvalidUtf8(Buffer.from([0xf4, 0x90, 0x80, 0x80]))).toBe(0); // above U+10FFFF
  });

  it('agrees with a fatal TextDecoder on any bytes', () => {
    const decoder = new TextDecoder('utf-8', { fatal: true });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 24 }), (bytes) => {
        let valid = true;
        try {
          decoder.decode(bytes);
        } catch {
          valid = false;
        }
        expect(findInvalidUtf8(bytes) === -1).toBe(valid);
      }),
      { numRuns: 500 },
    );
  });
});
