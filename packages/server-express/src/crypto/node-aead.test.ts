import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createKeyring, createPayloadOpener, createPayloadSealer, nobleAead, type AeadBackend } from '@twin/core';
import { CIPHER_NONCE_BYTES, openFrame, sealFrame } from '@twin/core/internal';
import { createNodeAead } from './node-aead';

const hex = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (n: number) => new Uint8Array(randomBytes(n));
const ALGS = ['aes-256-gcm', 'xchacha20-poly1305'] as const;
const node = createNodeAead();

describe('createNodeAead: known-answer vectors', () => {
  it('XChaCha20-Poly1305: draft-irtf-cfrg-xchacha-03 appendix A.3.1 (HChaCha20 subkey + OpenSSL ChaCha20-Poly1305)', () => {
    const key = hex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f');
    const nonce = hex('404142434445464748494a4b4c4d4e4f5051525354555657');
    const aad = hex('50515253c0c1c2c3c4c5c6c7');
    const plaintext = new TextEncoder().encode("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");
    const expected =
      'bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452' +
      '2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52e' +
      'c0875924c1c7987947deafd8780acf49';
    const sealed = node.seal('xchacha20-poly1305', key, nonce, plaintext, aad);
    expect(toHex(sealed)).toBe(expected);
    expect(node.open('xchacha20-poly1305', key, nonce, sealed, aad)).toEqual(plaintext);
    expect(toHex(sealFrame('xchacha20-poly1305', key, nonce, plaintext, aad, node))).toBe(toHex(nonce) + expected);
  });

  it('AES-256-GCM: GCM specification test case 16 (NIST SP 800-38D)', () => {
    const key = hex('feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308');
    const nonce = hex('cafebabefacedbaddecaf888');
    const aad = hex('feedfacedeadbeeffeedfacedeadbeefabaddad2');
    const plaintext = hex('d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39');
    const sealed = node.seal('aes-256-gcm', key, nonce, plaintext, aad);
    expect(toHex(sealed)).toBe('522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662' + '76fc6ece0f4e1768cddf8853bb2d551b');
    expect(node.open('aes-256-gcm', key, nonce, sealed, aad)).toEqual(plaintext);
  });
});

describe.each(ALGS)('createNodeAead interoperates with nobleAead, %s', (alg) => {
  it('produces the same bytes as noble for any key, nonce, plaintext (0–1,000 bytes) and associated data', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: CIPHER_NONCE_BYTES[alg], maxLength: CIPHER_NONCE_BYTES[alg] }), fc.uint8Array({ maxLength: 1_000 }), fc.uint8Array({ maxLength: 100 }), (key, nonce, plaintext, aad) => {
        const byNode = node.seal(alg, key, nonce, plaintext, aad);
        expect(toHex(byNode)).toBe(toHex(nobleAead.seal(alg, key, nonce, plaintext, aad)));
        expect(nobleAead.open(alg, key, nonce, byNode, aad)).toEqual(plaintext);
        expect(node.open(alg, key, nonce, byNode, aad)).toEqual(plaintext);
      }),
      { numRuns: 300 },
    );
  });

  it('frames sealed by either backend open with the other (sealFrame / openFrame)', () => {
    for (const size of [0, 1, 15, 16, 17, 200, 4_096]) {
      const key = bytes(32);
      const aad = bytes(50);
      const plaintext = bytes(size);
      const byNode = sealFrame(alg, key, bytes(CIPHER_NONCE_BYTES[alg]), plaintext, aad, node);
      const byNoble = sealFrame(alg, key, bytes(CIPHER_NONCE_BYTES[alg]), plaintext, aad, nobleAead);
      expect(openFrame(alg, key, byNode, aad, nobleAead), `node→noble ${size}`).toEqual(plaintext);
      expect(openFrame(alg, key, byNoble, aad, node), `noble→node ${size}`).toEqual(plaintext);
    }
  });

  it('whole payload path: a node-sealing server and a noble-opening client (and the reverse) over 300 compressed frames', () => {
    const ring = createKeyring([{ id: 'k1', key: bytes(32) }]);
    const pairs: Array<[AeadBackend, AeadBackend]> = [[node, nobleAead], [nobleAead, node]];
    for (const [sealWith, openWith] of pairs) {
      const sealer = createPayloadSealer({ streamId: 'st_interop', codec: 'deflate', cipher: { keyring: ring, alg }, randomBytes: bytes, aead: sealWith });
      const opener = createPayloadOpener({ streamId: 'st_interop', keyring: ring, aead: openWith });
      for (let seq = 1; seq <= 300; seq++) {
        const content = { text: `token ${seq} `.repeat(1 + (seq % 20)) };
        expect(opener.open('chunk', seq, sealer.seal('chunk', seq, content))).toEqual(content);
      }
    }
  });

  it('open returns null for a flip of any bit, another key, nonce or associated data, and any truncation', () => {
    const key = bytes(32);
    const nonce = bytes(CIPHER_NONCE_BYTES[alg]);
    const aad = bytes(12);
    const sealed = node.seal(alg, key, nonce, bytes(60), aad);
    for (let i = 0; i < sealed.length; i++) {
      for (const bit of [0x01, 0x80]) {
        const tampered = sealed.slice();
        tampered[i]! ^= bit;
        expect(node.open(alg, key, nonce, tampered, aad), `byte ${i} bit ${bit}`).toBeNull();
      }
    }
    for (let n = 0; n < sealed.length; n++) expect(node.open(alg, key, nonce, sealed.subarray(0, n), aad), `length ${n}`).toBeNull();
    expect(node.open(alg, bytes(32), nonce, sealed, aad)).toBeNull();
    expect(node.open(alg, key, bytes(CIPHER_NONCE_BYTES[alg]), sealed, aad)).toBeNull();
    expect(node.open(alg, key, nonce, sealed, bytes(12))).toBeNull();
    // Through openFrame the same failures are decrypt_failed, as with noble.
    const frame = sealFrame(alg, key, nonce, bytes(60), aad, node);
    frame[frame.length - 1]! ^= 1;
    expect(() => openFrame(alg, key, frame, aad, node)).toThrowError(expect.objectContaining({ code: 'decrypt_failed' }));
  });

  it('accepts unaligned subarrays for key, nonce, plaintext and associated data, and does not modify them', () => {
    const pool = bytes(400);
    const snapshot = pool.slice();
    const key = pool.subarray(1, 33);
    const nonce = pool.subarray(35, 35 + CIPHER_NONCE_BYTES[alg]);
    const plaintext = pool.subarray(61, 261);
    const aad = pool.subarray(263, 300);
    const sealed = node.seal(alg, key, nonce, plaintext, aad);
    expect(toHex(sealed)).toBe(toHex(nobleAead.seal(alg, key.slice(), nonce.slice(), plaintext.slice(), aad.slice())));
    expect(node.open(alg, key, nonce, sealed, aad)).toEqual(plaintext);
    expect(pool).toEqual(snapshot);
  });
});
