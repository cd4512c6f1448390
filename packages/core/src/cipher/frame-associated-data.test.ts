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
});
