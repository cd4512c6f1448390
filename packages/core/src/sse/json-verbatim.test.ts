import { describe, expect, it } from 'vitest';
import { jsonVerbatimExtraBytes } from './json-verbatim';
import { utf8ByteLength } from './utf8-byte-length';

describe('jsonVerbatimExtraBytes', () => {
  it('accepts exactly the texts JSON.stringify writes as themselves between quotes, with their extra UTF-8 bytes', () => {
    const texts = ['', 'plain words ', 'caf\u00e9', '\u4e2d\u6587', '\u007f del', '\u2028\u2029', 'a"b', 'back\\slash', 'tab\t', 'nl\n', '\u0000', '\u001f', '\ud83d\ude00', '\ud800', 'x\udfff', ' '];
    // Every code unit below 0x800 and a sample above it, alone and between letters.
    for (let code = 0; code < 0x800; code++) texts.push(String.fromCharCode(code), `a${String.fromCharCode(code)}b`);
    for (let code = 0x800; code <= 0xffff; code += 97) texts.push(String.fromCharCode(code));
    for (const text of texts) {
      const extra = jsonVerbatimExtraBytes(text);
      if (extra >= 0) {
        expect(JSON.stringify(text)).toBe(`"${text}"`);
        expect(text.length + extra).toBe(utf8ByteLength(text));
      } else {
        // Refused: something JSON.stringify escapes, or a surrogate (the caller's slow path counts those).
        expect(JSON.stringify(text) !== `"${text}"` || /[\ud800-\udfff]/.test(text)).toBe(true);
      }
    }
    expect(jsonVerbatimExtraBytes('plain')).toBe(0);
    expect(jsonVerbatimExtraBytes('caf\u00e9 \u4e2d')).toBe(3);
  });
});
