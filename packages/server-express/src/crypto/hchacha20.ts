import { hchacha } from '@noble/ciphers/chacha.js';

// "expand 32-byte k" as four little-endian words, viewed the way noble's hchacha reads its inputs
// (native Uint32Array views over little-endian bytes; it byte-swaps them itself on big-endian hosts).
const SIGMA = new Uint32Array(Uint8Array.from('expand 32-byte k', (c) => c.charCodeAt(0)).buffer);

/**
 * HChaCha20 (draft-irtf-cfrg-xchacha-03 §2.2): derives the 32-byte ChaCha20 subkey from a 32-byte
 * key and the first 16 bytes of a 24-byte XChaCha20 nonce. The permutation is noble's (audited);
 * this only copies the inputs into aligned word arrays, since callers may pass unaligned subarrays.
 */
export function hchacha20(key: Uint8Array, nonce16: Uint8Array): Uint8Array {
  if (key.length !== 32 || nonce16.length !== 16) throw new RangeError(`hchacha20 takes a 32-byte key and a 16-byte nonce, got ${key.length} and ${nonce16.length}`);
  const words = new Uint32Array(12); // key (8 words) then nonce (4 words)
  const wordBytes = new Uint8Array(words.buffer);
  wordBytes.set(key);
  wordBytes.set(nonce16, 32);
  const out = new Uint32Array(8);
  hchacha(SIGMA, words.subarray(0, 8), words.subarray(8), out);
  words.fill(0); // the key copy
  return new Uint8Array(out.buffer);
}
