import { TwinError } from '../errors/twin-error';
import type { CipherAlg } from '../protocol/stream-event';
import { assertAeadBackend, type AeadBackend } from './aead-backend';
import { assertBytes, assertCipherAlg } from './argument-guards';
import { nobleAead } from './noble-aead';

/** Both ciphers take 256-bit keys. */
export const CIPHER_KEY_BYTES = 32;
/** Poly1305 and GHASH tags are 128 bits. */
export const CIPHER_TAG_BYTES = 16;
/** Nonce length per algorithm: 96 bits for AES-GCM, 192 bits for XChaCha20. */
export const CIPHER_NONCE_BYTES: Readonly<Record<CipherAlg, number>> = { 'aes-256-gcm': 12, 'xchacha20-poly1305': 24 };

/**
 * Encrypts and authenticates one frame: returns `nonce ‖ ciphertext ‖ tag`. The nonce must never
 * repeat under the same key; `createPayloadSealer` draws it at random per frame from a per-stream
 * key (see docs/codecs-and-encryption.md for the bound). `associatedData` is authenticated, not sent.
 * `aead` picks the primitive's implementation (default {@link nobleAead}); the bytes are the same.
 */
export function sealFrame(alg: CipherAlg, key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, associatedData: Uint8Array, aead: AeadBackend = nobleAead): Uint8Array {
  assertCipherAlg(alg);
  assertBytes(key, 'key', CIPHER_KEY_BYTES);
  assertBytes(nonce, 'nonce', CIPHER_NONCE_BYTES[alg]);
  assertBytes(plaintext, 'plaintext');
  assertBytes(associatedData, 'associatedData');
  if (aead !== nobleAead) assertAeadBackend(aead, 'aead');
  const sealed = aead.seal(alg, key, nonce, plaintext, associatedData);
  // A backend that returns the wrong length would send frames no peer can open: fail here instead.
  if (!(sealed instanceof Uint8Array) || sealed.length !== plaintext.length + CIPHER_TAG_BYTES) {
    throw new TwinError('internal', `AEAD backend '${aead.name}' returned ${sealed instanceof Uint8Array ? `${sealed.length} bytes` : typeof sealed} for a ${plaintext.length}-byte plaintext (expected ${plaintext.length + CIPHER_TAG_BYTES}).`);
  }
  const out = new Uint8Array(nonce.length + sealed.length);
  out.set(nonce);
  out.set(sealed, nonce.length);
  return out;
}

/**
 * Opens `nonce ‖ ciphertext ‖ tag` from {@link sealFrame}. Any mismatch — wrong key, altered byte,
 * truncation, other associated data — throws `decrypt_failed`; no plaintext is released unverified.
 * Any {@link AeadBackend} opens what any other sealed.
 */
export function openFrame(alg: CipherAlg, key: Uint8Array, sealed: Uint8Array, associatedData: Uint8Array, aead: AeadBackend = nobleAead): Uint8Array {
  assertCipherAlg(alg);
  assertBytes(key, 'key', CIPHER_KEY_BYTES);
  assertBytes(sealed, 'sealed');
  assertBytes(associatedData, 'associatedData');
  if (aead !== nobleAead) assertAeadBackend(aead, 'aead');
  const nonceBytes = CIPHER_NONCE_BYTES[alg];
  if (sealed.length < nonceBytes + CIPHER_TAG_BYTES) {
    throw new TwinError('decrypt_failed', `Sealed ${alg} frame is ${sealed.length} bytes, shorter than nonce and tag (${nonceBytes + CIPHER_TAG_BYTES}).`);
  }
  let opened: Uint8Array | null;
  try {
    opened = aead.open(alg, key, sealed.subarray(0, nonceBytes), sealed.subarray(nonceBytes), associatedData);
  } catch (error) {
    throw new TwinError('decrypt_failed', `The ${alg} frame could not be opened by AEAD backend '${aead.name}'.`, { cause: error });
  }
  if (opened === null) {
    throw new TwinError('decrypt_failed', `The ${alg} frame failed authentication (tampered, truncated, reordered, or sealed with another key).`);
  }
  if (!(opened instanceof Uint8Array) || opened.length !== sealed.length - nonceBytes - CIPHER_TAG_BYTES) {
    throw new TwinError('internal', `AEAD backend '${aead.name}' returned ${opened instanceof Uint8Array ? `${opened.length} bytes` : typeof opened} for a ${sealed.length - nonceBytes - CIPHER_TAG_BYTES}-byte ciphertext.`);
  }
  return opened;
}
