import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBase64, encodeBase64 } from './base64';

const ascii = (s: string) => new TextEncoder().encode(s);

describe('base64', () => {
  it('matches the RFC 4648 §10 test vectors', () => {
    const vectors: Array<[string, string]> = [
      ['', ''],
      ['f', 'Zg=='],
      ['fo', 'Zm8='],
      ['foo', 'Zm9v'],
      ['foob', 'Zm9vYg=='],
      ['fooba', 'Zm9vYmE='],
      ['foobar', 'Zm9vYmFy'],
    ];
    for (const [plain, encoded] of vectors) {
      expect(encodeBase64(ascii(plain))).toBe(encoded);
      expect(decodeBase64(encoded)).toEqual(ascii(plain));
    }
  });

  it('agrees with Node Buffer on arbitrary bytes, both ways', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2_000 }), (bytes) => {
        const encoded = encodeBase64(bytes);
        expect(encoded).toBe(Buffer.from(bytes).toString('base64'));
        expect(decodeBase64(encoded)).toEqual(bytes);
      }),
      { numRuns: 500 },
    );
  });

  it('encodes every byte value and a large buffer correctly', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(encodeBase64(all)).toBe(Buffer.from(all).toString('base64'));
    const big = Uint8Array.from({ length: 1_000_003 }, (_, i) => (i * 7919) & 255);
    const encoded = encodeBase64(big);
    expect(encoded).toBe(Buffer.from(big).toString('base64'));
    // Buffer.equals: vitest's deep equality is too slow for a megabyte.
    expect(Buffer.from(decodeBase64(encoded)).equals(Buffer.from(big))).toBe(true);
  });

  it.each([
    ['a length that is not a multiple of 4', 'Zm9', /multiple of 4/],
    ['an invalid character', 'Zm9*', /invalid character at position 3/],
    ['URL-safe characters', 'Zm-_', /invalid character at position 2/],
    ['whitespace', 'Zm9v Zm9v', /multiple of 4|invalid character/],
    ['padding in the middle', 'Zg==Zm9v', /invalid character at position 2/],
    ['non-zero padding bits (1 byte)', 'Zh==', /padding bits/],
    ['non-zero padding bits (2 bytes)', 'Zm9=', /padding bits/],
    ['a non-ASCII character', 'Zm9✓', /invalid character at position 3/],
  ])('rejects %s with decode_failed', (_name, text, message) => {
    expect(() => decodeBase64(text)).toThrowError(expect.objectContaining({ code: 'decode_failed', message: expect.stringMatching(message) }));
  });

  it('names the argument when given the wrong type', () => {
    expect(() => encodeBase64('abc' as unknown as Uint8Array)).toThrowError(expect.objectContaining({ code: 'invalid_argument', message: 'bytes must be a Uint8Array, got string' }));
    expect(() => decodeBase64(42 as unknown as string)).toThrowError(expect.objectContaining({ code: 'invalid_argument', message: 'text must be a string, got number' }));
  });
});
