import { gcm } from '@noble/ciphers/aes.js';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import type { CipherAlg } from '../protocol/stream-event';
import type { AeadBackend } from './aead-backend';

function cipherFor(alg: CipherAlg, key: Uint8Array, nonce: Uint8Array, associatedData: Uint8Array) {
  return alg === 'aes-256-gcm' ? gcm(key, nonce, associatedData) : xchacha20poly1305(key, nonce, associatedData);
}

/**
 * The default {@link AeadBackend}: @noble/ciphers (audited, pure JS), so it runs wherever core runs
 * (browsers, edge runtimes, Node). noble's API builds its per-key state on every call (AES key
 * schedule, GHASH tables); docs/codecs-and-encryption.md has the measured cost and when to inject
 * a native backend instead.
 */
export const nobleAead: AeadBackend = {
  name: 'noble',
  seal: (alg, key, nonce, plaintext, associatedData) => cipherFor(alg, key, nonce, associatedData).encrypt(plaintext),
  open(alg, key, nonce, sealed, associatedData) {
    try {
      return cipherFor(alg, key, nonce, associatedData).decrypt(sealed);
    } catch {
      // noble throws on a bad tag (and on input shorter than the tag); both mean "not authentic".
      return null;
    }
  },
};
