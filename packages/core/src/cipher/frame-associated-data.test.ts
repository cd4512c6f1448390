import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { frameAssociatedData, type FrameBinding } from './frame-associated-data';

/** Reads the length-prefixed fields back, proving the layout is what the docs describe. */
function parse(bytes: Uint8Array): string[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fields: string[] = [];
  for (let offset = 0; offset < bytes.length; ) {
    const n = view.getUint32(offset);
    fields.push(new TextDecoder().decode(bytes.subarray(offset + 4, offset + 4 + n)));
    offset += 4 + n;
  }
  return fields;
}

const binding = fc.record<FrameBinding>({
  streamId: fc.string({ minLength: 1, maxLength: 20 }),
  event: fc.constantFrom('chunk', 'resync'),
  seq: fc.nat(),
  prevSeq: fc.integer({ min: -1, max: 1_000 }),
  codec: fc.constantFrom('identity', 'gzip', 'deflate'),
  alg: fc.constantFrom('aes-256-gcm', 'xchacha20-poly1305'),
  kid: fc.string({ minLength: 1, maxLength: 10 }),
});

describe('frameAssociatedData', () => {
  it('is a version label followed by every field, length-prefixed', () => {
    const b: FrameBinding = { streamId: 's-1', event: 'chunk', seq: 7, prevSeq: 5, codec: 'deflate', alg: 'aes-256-gcm', kid: 'k2' };
    expect(parse(frameAssociatedData(b))).toEqual(['twin/frame/v1', 's-1', 'chunk', '7', '5', 'deflate', 'aes-256-gcm', 'k2']);
  });

  it('never encodes two different bindings to the same bytes', () => {
    fc.assert(
      fc.property(binding, binding, (a, b) => {
        const same = JSON.stringify(a) === JSON.stringify(b);
        expect(Buffer.from(frameAssociatedData(a)).equals(Buffer.from(frameAssociatedData(b)))).toBe(same);
      }),
      { numRuns: 500 },
    );
  });

  it('pins the exact bytes (a change here is a wire-protocol change)', () => {
    const b: FrameBinding = { streamId: 'st', event: 'resync', seq: 10, prevSeq: -1, codec: 'identity', alg: 'xchacha20-poly1305', kid: 'ключ' };
    // Produced by the original TextEncoder implementation (before the ASCII fast path).
    const expected = [
      '0000000d7477696e2f6672616d652f7631', // 'twin/frame/v1'
      '000000027374', // 'st'
      '00000006726573796e63', // 'resync'
      '000000023130', // '10'
      '000000022d31', // '-1'
      '000000086964656e74697479', // 'identity'
      '000000127863686163686132302d706f6c7931333035', // 'xchacha20-poly1305'
      '00000008d0bad0bbd18ed187', // 'ключ' (8 UTF-8 bytes)
    ].join('');
    expect(Buffer.from(frameAssociatedData(b)).toString('hex')).toBe(expected);
    expect(Buffer.from(frameAssociatedData({ ...b, kid: 'k1' })).toString('hex')).toBe(expected.replace('00000008d0bad0bbd18ed187', '000000026b31'));
  });

  it('writes the same bytes as a plain length-prefixed UTF-8 encoding, for ASCII and non-ASCII fields alike', () => {
    const reference = (b: FrameBinding) =>
      Buffer.concat(['twin/frame/v1', b.streamId, b.event, String(b.seq), String(b.prevSeq), b.codec, b.alg, b.kid].flatMap((f) => {
        const bytes = Buffer.from(f, 'utf8');
        const length = Buffer.alloc(4);
        length.writeUInt32BE(bytes.length);
        return [length, bytes];
      }));
    const anyText = fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }));
    fc.assert(
      fc.property(binding, anyText, anyText, (b, streamId, kid) => {
        for (const candidate of [b, { ...b, streamId, kid }]) expect(Buffer.from(frameAssociatedData(candidate)).equals(reference(candidate))).toBe(true);
      }),
      { numRuns: 1_000 },
    );
  });
});
