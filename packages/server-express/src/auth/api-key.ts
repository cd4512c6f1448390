import { hash, randomBytes } from 'node:crypto';
import { RandomPool } from './random-pool';

/** Keys look like `twin_sk_<43 base64url chars>` (256 random bits). */
export const API_KEY_PREFIX = 'twin_sk_';

/** A fresh random API key (shown to its owner once, then only its hash is stored). */
export function generateApiKey(): string {
  return API_KEY_PREFIX + randomBytes(32).toString('base64url');
}

/** Hex SHA-256 of a key. Keys are 256-bit random, so a fast hash is enough (no password stretching). */
export function hashApiKey(key: string): string {
  // One-shot: every authenticated request hashes its key, and a Hash object per call cost ~4x.
  return hash('sha256', key, 'hex');
}

/** A short id for lists and logs: never enough of the key to use it. */
export function apiKeyDisplayPrefix(key: string): string {
  return key.slice(0, API_KEY_PREFIX.length + 4);
}

const ids = new RandomPool();

/** A random id with a readable prefix (`key_...`, `str_...`, `bill_...`). */
export function randomId(prefix: string, bytes = 12): string {
  return `${prefix}_${ids.base64url(bytes)}`;
}
