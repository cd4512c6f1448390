import { gcm } from '@noble/ciphers/aes.js';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { TwinError } from '../errors/twin-error';
import type { CipherAlg } from '../protocol/stream-event';
import { assertBytes, assertCipherAlg } from './argument-guards';

/** Both ciphers take 256-bit keys. */
export const CIPHER_KEY_BYTES = 32;
/** Poly1305 and GHASH tags are 128 bits. */
export const CIPHER_TAG_BYTES = 16;
/** Nonce length per algorithm: 96 bits for AES-GCM, 192 bits for XChaCha20. */
export const CIPHER_NONCE_BYTES: Readonly<Record<CipherAlg, number>> = { 'aes-256-gcm': 12, 'xchacha20-poly1305': 24 };

function aead(alg: CipherAlg, key: Uint8Array, nonce: Uint8Array, associatedData: Uint8Array) {
  return alg === 'aes-256-gcm' ? gcm(key, nonce, associatedData) : xchacha20poly1305(key, nonce, associatedData);
}

/**
 * Encrypts and authenticates one frame: returns `nonce ‖ ciphertext ‖ tag`. The nonce must never
 * repeat under the same key; `createPayloadSealer` draws it at random per frame from a per-stream
 * key (see docs/codecs-and-encryption.md for the bound). `associatedData` is authenticated, not sent.
 */
export function sealFrame(alg: CipherAlg, key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, associatedData: Uint8Array): Uint8Array {
  assertCipherAlg(alg);
  assertBytes(key, 'key', CIPHER_KEY_BYTES);
  assertBytes(nonce, 'nonce', CIPHER_NONCE_BYTES[alg]);
  assertBytes(plaintext, 'plaintext');
  assertBytes(associatedData, 'associatedData');
  const sealed = aead(alg, key, nonce, associatedData).encrypt(plaintext);
  const out = new Uint8Array(nonce.length + sealed.length);
  out.set(nonce);
  out.set(sealed, nonce.length);
  return out;
}

/**
 * Opens `nonce ‖ ciphertext ‖ tag` from {@link sealFrame}. Any mismatch — wrong key, altered byte,
 * truncation, other associated data — throws `decrypt_failed`; no plaintext is released unverified.
 */
export function openFrame(alg: CipherAlg, key: Uint8Array, sealed: Uint8Array, associatedData: Uint8Array): Uint8Array {
  assertCipherAlg(alg);
  assertBytes(key, 'key', CIPHER_KEY_BYTES);
  assertBytes(sealed, 'sealed');
  assertBytes(associatedData, 'associatedData');
  const nonceBytes = CIPHER_NONCE_BYTES[alg];
  if (sealed.length < nonceBytes + CIPHER_TAG_BYTES) {
    throw new TwinError('decrypt_failed', `Sealed ${alg} frame is ${sealed.length} bytes, shorter than nonce and tag (${nonceBytes + CIPHER_TAG_BYTES}).`);
  }
  try {
    return aead(alg, key, sealed.subarray(0, nonceBytes), associatedData).decrypt(sealed.subarray(nonceBytes));
  } catch (error) {
    throw new TwinError('decrypt_failed', `The ${alg} frame failed authentication (tampered, truncated, reordered, or sealed with another key).`, { cause: error });
  }
}
