import { createCipheriv, createDecipheriv } from 'node:crypto';
import type { AeadBackend, CipherAlg } from '@twin/core';
import { hchacha20 } from './hchacha20';

const TAG_BYTES = 16;

/**
 * The node:crypto cipher name, key and 12-byte IV for one frame. XChaCha20-Poly1305 is not in
 * OpenSSL, so it is built exactly as draft-irtf-cfrg-xchacha-03 §2.3 defines it: subkey =
 * HChaCha20(key, nonce[0..16]), then ChaCha20-Poly1305 (RFC 8439) with the subkey and the nonce
 * 0x00000000 ‖ nonce[16..24]. Returns a `wipe` for the derived subkey.
 */
function nativeParams(alg: CipherAlg, key: Uint8Array, nonce: Uint8Array): { name: 'aes-256-gcm' | 'chacha20-poly1305'; key: Uint8Array; iv: Uint8Array; wipe: () => void } {
  if (alg === 'aes-256-gcm') return { name: 'aes-256-gcm', key, iv: nonce, wipe: () => {} };
  if (nonce.length !== 24) throw new RangeError(`xchacha20-poly1305 takes a 24-byte nonce, got ${nonce.length}`);
  const subkey = hchacha20(key, nonce.subarray(0, 16));
  const iv = new Uint8Array(12);
  iv.set(nonce.subarray(16, 24), 4);
  return { name: 'chacha20-poly1305', key: subkey, iv, wipe: () => subkey.fill(0) };
}

/**
 * An {@link AeadBackend} on node:crypto (OpenSSL): AES-256-GCM natively, XChaCha20-Poly1305 as
 * HChaCha20 (noble) + OpenSSL ChaCha20-Poly1305. Byte-for-byte the same frames as core's default
 * `nobleAead`, so a server sealing with it needs no change on the client (which keeps noble).
 * Pass it as `aead` to `createPayloadSealer` / `createPayloadOpener` (or `sealFrame` / `openFrame`).
 */
export function createNodeAead(): AeadBackend {
  return {
    name: 'node:crypto',
    seal(alg, key, nonce, plaintext, associatedData) {
      const params = nativeParams(alg, key, nonce);
      try {
        const cipher =
          params.name === 'aes-256-gcm'
            ? createCipheriv('aes-256-gcm', params.key, params.iv, { authTagLength: TAG_BYTES })
            : createCipheriv('chacha20-poly1305', params.key, params.iv, { authTagLength: TAG_BYTES });
        cipher.setAAD(associatedData);
        const body = cipher.update(plaintext);
        const tail = cipher.final(); // empty for these stream modes; kept for correctness
        const out = new Uint8Array(body.length + tail.length + TAG_BYTES);
        out.set(body);
        out.set(tail, body.length);
        out.set(cipher.getAuthTag(), body.length + tail.length);
        return out;
      } finally {
        params.wipe();
      }
    },
    open(alg, key, nonce, sealed, associatedData) {
      if (sealed.length < TAG_BYTES) return null;
      const params = nativeParams(alg, key, nonce);
      let plaintext: Buffer | undefined;
      try {
        // authTagLength pins the tag to 16 bytes: without it node's GCM accepts truncated tags.
        const decipher =
          params.name === 'aes-256-gcm'
            ? createDecipheriv('aes-256-gcm', params.key, params.iv, { authTagLength: TAG_BYTES })
            : createDecipheriv('chacha20-poly1305', params.key, params.iv, { authTagLength: TAG_BYTES });
        decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
        decipher.setAAD(associatedData);
        plaintext = decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES));
        const tail = decipher.final(); // throws when the tag does not verify
        const out = new Uint8Array(plaintext.length + tail.length);
        out.set(plaintext);
        out.set(tail, plaintext.length);
        return out;
      } catch {
        plaintext?.fill(0); // never leave unverified plaintext behind
        return null;
      } finally {
        params.wipe();
      }
    },
  };
}
