import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { CipherAlg } from '../protocol/stream-event';
import type { AeadBackend } from './aead-backend';
import { CIPHER_NONCE_BYTES, openFrame, sealFrame } from './frame-cipher';
import { nobleAead } from './noble-aead';

const bytes = (n: number) => new Uint8Array(randomBytes(n));
const ALGS = ['aes-256-gcm', 'xchacha20-poly1305'] as const;

/** The real noble backend, wrapped to record what frame-cipher hands it. */
function recording(inner: AeadBackend = nobleAead) {
  const calls: Array<{ op: 'seal' | 'open'; alg: CipherAlg; key: Uint8Array; nonce: Uint8Array; input: Uint8Array; aad: Uint8Array }> = [];
  const backend: AeadBackend = {
    name: 'recording',
    seal(alg, key, nonce, plaintext, aad) {
      calls.push({ op: 'seal', alg, key, nonce: nonce.slice(), input: plaintext.slice(), aad: aad.slice() });
      return inner.seal(alg, key, nonce, plaintext, aad);
    },
    open(alg, key, nonce, sealed, aad) {
      calls.push({ op: 'open', alg, key, nonce: nonce.slice(), input: sealed.slice(), aad: aad.slice() });
      return inner.open(alg, key, nonce, sealed, aad);
    },
  };
  return { backend, calls };
}

describe.each(ALGS)('nobleAead, %s', (alg) => {
  it('seal returns ciphertext ‖ tag without the nonce — the tail of a sealed frame', () => {
    const key = bytes(32);
    const nonce = bytes(CIPHER_NONCE_BYTES[alg]);
    const plaintext = bytes(200);
    const aad = bytes(40);
    const sealed = nobleAead.seal(alg, key, nonce, plaintext, aad);
    expect(sealed.length).toBe(216);
    expect(sealFrame(alg, key, nonce, plaintext, aad)).toEqual(Uint8Array.from([...nonce, ...sealed]));
    expect(nobleAead.open(alg, key, nonce, sealed, aad)).toEqual(plaintext);
  });

  it('open returns null (never throws, never returns plaintext) for a flipped bit, another key, other associated data or input shorter than a tag', () => {
    const key = bytes(32);
    const nonce = bytes(CIPHER_NONCE_BYTES[alg]);
    const aad = bytes(8);
    const sealed = nobleAead.seal(alg, key, nonce, bytes(50), aad);
    for (let i = 0; i < sealed.length; i++) {
      const tampered = sealed.slice();
      tampered[i]! ^= 0x01;
      expect(nobleAead.open(alg, key, nonce, tampered, aad), `byte ${i}`).toBeNull();
    }
    expect(nobleAead.open(alg, bytes(32), nonce, sealed, aad)).toBeNull();
    expect(nobleAead.open(alg, key, nonce, sealed, bytes(8))).toBeNull();
    expect(nobleAead.open(alg, key, nonce, sealed.subarray(0, 15), aad)).toBeNull();
  });
});

describe.each(ALGS)('sealFrame / openFrame with an injected backend, %s', (alg) => {
  it('hand the backend the nonce, plaintext and associated data, and open with ciphertext ‖ tag only', () => {
    const { backend, calls } = recording();
    const key = bytes(32);
    const nonce = bytes(CIPHER_NONCE_BYTES[alg]);
    const plaintext = bytes(200);
    const aad = bytes(30);
    const sealed = sealFrame(alg, key, nonce, plaintext, aad, backend);
    expect(openFrame(alg, key, sealed, aad, backend)).toEqual(plaintext);
    expect(calls.map((c) => c.op)).toEqual(['seal', 'open']);
    expect(calls[0]).toMatchObject({ alg, key, nonce, input: plaintext, aad });
    expect(calls[1]).toMatchObject({ alg, key, nonce, input: sealed.subarray(nonce.length), aad });
    // Same bytes as the default backend: a frame sealed by one opens with the other.
    expect(openFrame(alg, key, sealed, aad)).toEqual(plaintext);
    expect(openFrame(alg, key, sealFrame(alg, key, nonce, plaintext, aad), aad, backend)).toEqual(plaintext);
  });

  it('turn a backend failure into decrypt_failed, and a wrong-length answer into internal', () => {
    const key = bytes(32);
    const aad = bytes(4);
    const sealed = sealFrame(alg, key, bytes(CIPHER_NONCE_BYTES[alg]), bytes(20), aad);
    const broken = (patch: Partial<AeadBackend>): AeadBackend => ({ ...nobleAead, name: 'broken', ...patch });
    const code = (c: string) => expect.objectContaining({ code: c });
    const boom = new Error('native failure');
    expect(() => openFrame(alg, key, sealed, aad, broken({ open: () => null }))).toThrowError(code('decrypt_failed'));
    expect(() => openFrame(alg, key, sealed, aad, broken({ open: () => { throw boom; } }))).toThrowError(expect.objectContaining({ code: 'decrypt_failed', cause: boom }));
    expect(() => openFrame(alg, key, sealed, aad, broken({ open: () => new Uint8Array(19) }))).toThrowError(code('internal'));
    expect(() => sealFrame(alg, key, bytes(CIPHER_NONCE_BYTES[alg]), bytes(20), aad, broken({ seal: () => new Uint8Array(20) }))).toThrowError(
      expect.objectContaining({ code: 'internal', message: "AEAD backend 'broken' returned 20 bytes for a 20-byte plaintext (expected 36)." }),
    );
  });

  it('refuse something that is not a backend, naming the argument', () => {
    const nonce = bytes(CIPHER_NONCE_BYTES[alg]);
    const ok = bytes(32);
    const err = (message: string) => expect.objectContaining({ code: 'invalid_argument', message });
    expect(() => sealFrame(alg, ok, nonce, ok, ok, {} as never)).toThrowError(err('aead must be an AeadBackend { name, seal, open }, got Object'));
    expect(() => openFrame(alg, ok, bytes(64), ok, 'node' as never)).toThrowError(err('aead must be an AeadBackend { name, seal, open }, got string'));
  });
});
