import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { encodeUtf8 } from '../codec/utf8';
import type { CipherAlg } from '../protocol/stream-event';
import { assertBytes, assertCipherAlg, assertNonEmptyString } from './argument-guards';
import { CIPHER_KEY_BYTES } from './frame-cipher';

/** HKDF salt: a fixed domain label, so Twin keys never collide with other uses of the same secret. */
const SALT_LABEL = 'twin/frame-key/v1';

/**
 * Derives the key one stream is sealed with: HKDF-SHA256 (RFC 5869) over a keyring key, with the
 * stream id and the algorithm in `info`. Keys per stream keep the number of frames under one key
 * small (that is what makes random 96-bit GCM nonces safe) and mean a frame of one stream cannot
 * be opened as a frame of another.
 */
export function deriveStreamKey(key: Uint8Array, streamId: string, alg: CipherAlg): Uint8Array {
  assertBytes(key, 'key', CIPHER_KEY_BYTES);
  assertNonEmptyString(streamId, 'streamId');
  assertCipherAlg(alg);
  // alg comes first and never contains a NUL, so the first NUL ends it: the encoding is unambiguous.
  return hkdf(sha256, key, encodeUtf8(SALT_LABEL), encodeUtf8(`${alg}\u0000${streamId}`), CIPHER_KEY_BYTES);
}
