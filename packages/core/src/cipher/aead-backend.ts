import { describeValue } from '../codec/describe-value';
import { TwinError } from '../errors/twin-error';
import type { CipherAlg } from '../protocol/stream-event';

/**
 * The AEAD primitive a frame is sealed and opened with, injectable so a runtime with native crypto
 * (node:crypto on the server) can replace the pure-JS default ({@link nobleAead}) without core
 * importing `node:*`. Every backend must produce the same bytes for the same inputs: a frame sealed
 * by one backend opens with any other (the wire format does not name the backend).
 *
 * Synchronous on purpose: frames are sealed one by one on the hot path, and an async primitive
 * (Web Crypto `subtle`) costs more per 200-byte frame in promise scheduling than it saves.
 */
export interface AeadBackend {
  /** Short label for logs and bench output (`'noble'`, `'node:crypto'`). */
  readonly name: string;
  /**
   * Encrypts and authenticates: returns `ciphertext ‖ tag` (tag 16 bytes), without the nonce.
   * Arguments are already checked by the caller (32-byte key, 12- or 24-byte nonce per `alg`).
   */
  seal(alg: CipherAlg, key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, associatedData: Uint8Array): Uint8Array;
  /**
   * Verifies and decrypts `ciphertext ‖ tag`. Returns the plaintext, or `null` when authentication
   * fails (wrong key, nonce or associated data, altered or truncated input). Never returns
   * unverified plaintext.
   */
  open(alg: CipherAlg, key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, associatedData: Uint8Array): Uint8Array | null;
}

/** Plain guard (hot path, no zod): an object with a string `name` and `seal` / `open` functions. */
export function assertAeadBackend(value: unknown, name: string): asserts value is AeadBackend {
  const backend = value as Partial<AeadBackend> | null;
  if (typeof backend !== 'object' || backend === null || typeof backend.seal !== 'function' || typeof backend.open !== 'function' || typeof backend.name !== 'string') {
    throw new TwinError('invalid_argument', `${name} must be an AeadBackend { name, seal, open }, got ${describeValue(value)}`);
  }
}
