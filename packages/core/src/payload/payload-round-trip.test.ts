import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createKeyring } from '../cipher/keyring';
import type { CipherAlg, CodecName } from '../protocol/stream-event';
import { createPayloadOpener } from './payload-opener';
import { createPayloadSealer } from './payload-sealer';

const rnd = (n: number) => new Uint8Array(randomBytes(n));
const keyring = () => createKeyring([{ id: 'k1', key: rnd(32) }]);

const content = fc.oneof(
  fc.record({ text: fc.string({ unit: 'grapheme', maxLength: 400 }) }),
  fc.record({ text: fc.constant('') }),
  fc.record({ reasoning: fc.string({ maxLength: 200 }), text: fc.lorem({ maxCount: 60 }) }),
  fc.record({ tools: fc.array(fc.record({ id: fc.string(), index: fc.nat(5), argsDelta: fc.string({ unit: 'binary', maxLength: 50 }) }), { maxLength: 3 }) }),
);

const codecs: Array<CodecName | 'auto'> = ['identity', 'gzip', 'deflate', 'auto'];
const ciphers: Array<CipherAlg | undefined> = [undefined, 'aes-256-gcm', 'xchacha20-poly1305'];

describe.each(codecs.flatMap((codec) => ciphers.map((alg) => [codec, alg ?? 'none'] as const)))('codec %s, cipher %s', (codec, alg) => {
  it('opens every frame of random sequences in order, to the same content', () => {
    fc.assert(
      fc.property(fc.array(content, { maxLength: 30 }), fc.constantFrom('chunk', 'resync'), (frames, lastEvent) => {
        const ring = keyring();
        const sealer = createPayloadSealer({ streamId: 'st_1', codec, cipher: alg === 'none' ? undefined : { keyring: ring, alg }, randomBytes: rnd });
        const opener = createPayloadOpener({ streamId: 'st_1', keyring: alg === 'none' ? undefined : ring });
        let seq = 1;
        frames.forEach((frame, i) => {
          const event = i === frames.length - 1 ? lastEvent : 'chunk';
          seq += 1 + (i % 3); // other events (start, error...) take seq numbers in between
          const sealed = sealer.seal(event, seq, frame);
          expect(sealed.alg).toBe(alg === 'none' ? undefined : alg);
          expect(opener.open(event, seq, sealed)).toEqual(JSON.parse(JSON.stringify(frame)));
        });
      }),
      { numRuns: 40 },
    );
  });
});

describe('long streams', () => {
  it('keeps 2,000 frames of a compressed, encrypted stream in sync and smaller than identity', () => {
    const ring = keyring();
    const words = 'streaming tokens over server sent events with compression and encryption'.split(' ');
    const sealers = (['deflate', 'identity'] as const).map((codec) => createPayloadSealer({ streamId: 's', codec, cipher: { keyring: ring, alg: 'xchacha20-poly1305' }, randomBytes: rnd }));
    const opener = createPayloadOpener({ streamId: 's', keyring: ring });
    let compressedSize = 0;
    let identitySize = 0;
    for (let seq = 1; seq <= 2_000; seq++) {
      const frame = { text: Array.from({ length: 10 + (seq % 60) }, (_, i) => words[(seq * 7 + i) % words.length]).join(' ') };
      const [compressed, identity] = sealers.map((s) => s.seal('chunk', seq, frame));
      compressedSize += compressed!.data.length;
      identitySize += identity!.data.length;
      expect(opener.open('chunk', seq, compressed!)).toEqual(frame);
    }
    expect(compressedSize / identitySize).toBeLessThan(0.5);
  });

  it('auto without a cipher: identity frames may bypass the opener (sent as plain chunks) and later compressed frames still open', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string({ maxLength: 20 }), fc.lorem({ maxCount: 120 })), { minLength: 1, maxLength: 60 }), (texts) => {
        const sealer = createPayloadSealer({ streamId: 's', codec: 'auto' });
        const opener = createPayloadOpener({ streamId: 's' });
        texts.forEach((text, i) => {
          const sealed = sealer.seal('chunk', i + 1, { text });
          if (sealed.codec === 'identity') return; // the session sends { text } in clear instead
          expect(opener.open('chunk', i + 1, sealed)).toEqual({ text });
        });
      }),
      { numRuns: 100 },
    );
  });

  it('auto keeps small frames as identity and compresses large repetitive ones', () => {
    const sealer = createPayloadSealer({ streamId: 's', codec: 'auto' });
    expect(sealer.seal('chunk', 1, { text: 'hi' }).codec).toBe('identity');
    expect(sealer.seal('chunk', 2, { text: 'the same words again and again '.repeat(20) }).codec).toBe('deflate');
  });
});
