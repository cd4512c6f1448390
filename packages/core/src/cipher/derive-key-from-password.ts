import { scrypt, scryptAsync } from '@noble/hashes/scrypt.js';
import { TwinError } from '../errors/twin-error';
import { assertBytes } from './argument-guards';
import { CIPHER_KEY_BYTES } from './frame-cipher';
import { describeValue } from '../codec/describe-value';

/** scrypt cost parameters (RFC 7914). Memory used is about 128 × N × r bytes. */
export interface ScryptParams {
  /** CPU/memory cost, a power of two ≥ 2^10. */
  N: number;
  /** Block size, 1–64. */
  r: number;
  /** Parallelism, 1–16. */
  p: number;
}

/**
 * Default scrypt cost: N = 2^17, r = 8, p = 1 (128 MiB, the OWASP password-storage recommendation).
 * Takes around half a second in JavaScript, so derive once and keep the key in a keyring.
 */
export const DEFAULT_SCRYPT_PARAMS: Readonly<ScryptParams> = Object.freeze({ N: 2 ** 17, r: 8, p: 1 });

/** Salts shorter than this are refused; use 16 random bytes, stored beside the key id. */
export const MIN_PASSWORD_SALT_BYTES = 8;

function check(password: unknown, salt: unknown, params: ScryptParams): void {
  if (typeof password === 'string') {
    if (password.length === 0) throw new TwinError('invalid_argument', 'password must not be empty');
  } else if (password instanceof Uint8Array) {
    if (password.length === 0) throw new TwinError('invalid_argument', 'password must not be empty');
  } else {
    throw new TwinError('invalid_argument', `password must be a string or Uint8Array, got ${describeValue(password)}`);
  }
  assertBytes(salt, 'salt');
  if (salt.length < MIN_PASSWORD_SALT_BYTES) {
    throw new TwinError('invalid_argument', `salt must be at least ${MIN_PASSWORD_SALT_BYTES} bytes, got ${salt.length}`);
  }
  if (typeof params !== 'object' || params === null) {
    throw new TwinError('invalid_argument', `params must be { N, r, p }, got ${describeValue(params)}`);
  }
  const { N, r, p } = params;
  if (!Number.isSafeInteger(N) || N < 1024 || (N & (N - 1)) !== 0) {
    throw new TwinError('invalid_argument', `params.N must be a power of two ≥ 1024, got ${String(N)}`);
  }
  if (!Number.isInteger(r) || r < 1 || r > 64) throw new TwinError('invalid_argument', `params.r must be an integer 1–64, got ${String(r)}`);
  if (!Number.isInteger(p) || p < 1 || p > 16) throw new TwinError('invalid_argument', `params.p must be an integer 1–16, got ${String(p)}`);
}

/**
 * Derives a 256-bit keyring key from a password with scrypt (RFC 7914). The salt is required
 * (random, ≥ 16 bytes recommended, not secret); the same password, salt and params always give
 * the same key, so store salt and params with the key id. Strings are encoded as UTF-8 as given;
 * normalise them (`password.normalize('NFC')`) first if they come from different keyboards.
 */
export function deriveKeyFromPassword(password: string | Uint8Array, salt: Uint8Array, params: ScryptParams = DEFAULT_SCRYPT_PARAMS): Uint8Array {
  check(password, salt, params);
  return scrypt(password, salt, { N: params.N, r: params.r, p: params.p, dkLen: CIPHER_KEY_BYTES, maxmem: 2 ** 31 });
}

/** {@link deriveKeyFromPassword} without blocking the event loop for the whole derivation. */
export async function deriveKeyFromPasswordAsync(password: string | Uint8Array, salt: Uint8Array, params: ScryptParams = DEFAULT_SCRYPT_PARAMS): Promise<Uint8Array> {
  check(password, salt, params);
  return scryptAsync(password, salt, { N: params.N, r: params.r, p: params.p, dkLen: CIPHER_KEY_BYTES, maxmem: 2 ** 31 });
}
