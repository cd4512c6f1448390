import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Keyring } from '@twin/core';

/**
 * Encryption at rest of an encrypted stream's events in Redis: a stream whose client asked for
 * encryption must not leave its content readable anywhere (the database audit keeps only its
 * shape). Each entry is AES-256-GCM with the keyring's current key, a random 96-bit nonce and the
 * stream id and seq as associated data (an entry cannot be moved to another stream or position).
 * Text form: `<kid>.<nonce b64>.<ciphertext+tag b64>`. Instances share the keyring
 * (`TWIN_CIPHER_KEYS`), so any of them opens what another sealed.
 */
export interface LogEntryCipher {
  seal(streamId: string, seq: number, plaintext: string): string;
  /** Throws when the key is unknown or the entry was altered. */
  open(streamId: string, seq: number, sealed: string): string;
}

export function createLogEntryCipher(keyring: Keyring): LogEntryCipher {
  const ad = (streamId: string, seq: number) => Buffer.from(`${streamId}:${seq}`);
  return {
    seal(streamId, seq, plaintext) {
      const { id, key } = keyring.current();
      const nonce = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, nonce);
      cipher.setAAD(ad(streamId, seq));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return `${id}.${nonce.toString('base64')}.${body.toString('base64')}`;
    },
    open(streamId, seq, sealed) {
      const last = sealed.lastIndexOf('.');
      const mid = sealed.lastIndexOf('.', last - 1);
      if (mid <= 0) throw new Error('not a sealed log entry');
      const { key } = keyring.get(sealed.slice(0, mid));
      const nonce = Buffer.from(sealed.slice(mid + 1, last), 'base64');
      const body = Buffer.from(sealed.slice(last + 1), 'base64');
      const decipher = createDecipheriv('aes-256-gcm', key, nonce);
      decipher.setAAD(ad(streamId, seq));
      decipher.setAuthTag(body.subarray(body.length - 16));
      return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString('utf8');
    },
  };
}
