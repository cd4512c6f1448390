import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CIPHER_NONCE_BYTES, openFrame, sealFrame } from './frame-cipher';

const hex = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (n: number) => new Uint8Array(randomBytes(n));
const ALGS = ['aes-256-gcm', 'xchacha20-poly1305'] as const;

describe('known-answer vectors', () => {
  it('AES-256-GCM: GCM specification test case 16 (NIST SP 800-38D, 60-byte plaintext, 20-byte AAD)', () => {
    const key = hex('feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308');
    const nonce = hex('cafebabefacedbaddecaf888');
    const aad = hex('feedfacedeadbeeffeedfacedeadbeefabaddad2');
    const plaintext = hex('d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39');
    const ciphertext = '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662';
    const tag = '76fc6ece0f4e1768cddf8853bb2d551b';
    const sealed = sealFrame('aes-256-gcm', key, nonce, plaintext, aad);
    expect(toHex(sealed)).toBe(toHex(nonce) + ciphertext + tag);
    expect(openFrame('aes-256-gcm', key, sealed, aad)).toEqual(plaintext);
  });

  it('XChaCha20-Poly1305: draft-irtf-cfrg-xchacha-03 appendix A.3.1', () => {
    const key = hex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f');
    const nonce = hex('404142434445464748494a4b4c4d4e4f5051525354555657');
    const aad = hex('50515253c0c1c2c3c4c5c6c7');
    const plaintext = new TextEncoder().encode("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");
    const ciphertext =
      'bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452' +
      '2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52e';
    const tag = 'c0875924c1c7987947deafd8780acf49';
    const sealed = sealFrame('xchacha20-poly1305', key, nonce, plaintext, aad);
    expect(toHex(sealed)).toBe(toHex(nonce) + ciphertext + tag);
    expect(openFrame('xchacha20-poly1305', key, sealed, aad)).toEqual(plaintext);
  });
});

describe.each(ALGS)('%s frame cipher', (alg) => {
  it('opens what it sealed, for any plaintext and associated data', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1_000 }), fc.uint8Array({ maxLength: 100 }), (plaintext, aad) => {
        const key = bytes(32);
        const sealed = sealFrame(alg, key, bytes(CIPHER_NONCE_BYTES[alg]), plaintext, aad);
        expect(sealed.length).toBe(CIPHER_NONCE_BYTES[alg] + plaintext.length + 16);
        expect(openFrame(alg, key, sealed, aad)).toEqual(plaintext);
      }),
      { numRuns: 200 },
    );
  });

  it('rejects a flip of any bit in any byte position (nonce, ciphertext, tag) with decrypt_failed', () => {
    const key = bytes(32);
    const aad = new TextEncoder().encode('stream s1, chunk, seq 4');
    const sealed = sealFrame(alg, key, bytes(CIPHER_NONCE_BYTES[alg]), new TextEncoder().encode('{"text":"a 200-byte-ish frame of model output"}'), aad);
    for (let i = 0; i < sealed.length; i++) {
      for (const bit of [0x01, 0x80]) {
        const tampered = sealed.slice();
        tampered[i]! ^= bit;
        expect(() => openFrame(alg, key, tampered, aad), `byte ${i} bit ${bit}`).toThrowError(expect.objectContaining({ code: 'decrypt_failed' }));
      }
    }
  });

  it('rejects every truncation, other associated data, and another key', () => {
    const key = bytes(32);
    const aad = Uint8Array.of(1, 2, 3);
    const sealed = sealFrame(alg, key, bytes(CIPHER_NONCE_BYTES[alg]), bytes(64), aad);
    for (let n = 0; n < sealed.length; n++) {
      expect(() => openFrame(alg, key, sealed.subarray(0, n), aad)).toThrowError(expect.objectContaining({ code: 'decrypt_failed' }));
    }
    expect(() => openFrame(alg, key, sealed, Uint8Array.of(1, 2, 4))).toThrowError(expect.objectContaining({ code: 'decrypt_failed' }));
    expect(() => openFrame(alg, bytes(32), sealed, aad)).toThrowError(expect.objectContaining({ code: 'decrypt_failed' }));
  });

  it('guards its arguments precisely, naming each one', () => {
    const nonce = bytes(CIPHER_NONCE_BYTES[alg]);
    const ok = bytes(32);
    const err = (message: string) => expect.objectContaining({ code: 'invalid_argument', message });
    expect(() => sealFrame(alg, bytes(16), nonce, ok, ok)).toThrowError(err('key must be 32 bytes, got 16'));
    expect(() => sealFrame(alg, 'k' as never, nonce, ok, ok)).toThrowError(err('key must be a Uint8Array, got string'));
    expect(() => sealFrame(alg, ok, bytes(CIPHER_NONCE_BYTES[alg] - 1), ok, ok)).toThrowError(err(`nonce must be ${CIPHER_NONCE_BYTES[alg]} bytes, got ${CIPHER_NONCE_BYTES[alg] - 1}`));
    expect(() => sealFrame(alg, ok, nonce, [1] as never, ok)).toThrowError(err('plaintext must be a Uint8Array, got array(1)'));
    expect(() => sealFrame(alg, ok, nonce, ok, null as never)).toThrowError(err('associatedData must be a Uint8Array, got null'));
    expect(() => openFrame(alg, ok, {} as never, ok)).toThrowError(err('sealed must be a Uint8Array, got Object'));
    expect(() => sealFrame('aes-128-gcm' as never, ok, nonce, ok, ok)).toThrowError(err("alg must be 'aes-256-gcm' or 'xchacha20-poly1305', got 'aes-128-gcm'"));
  });
});
