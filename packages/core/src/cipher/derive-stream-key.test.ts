import { hkdfSync, randomBytes } from 'node:crypto';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { deriveStreamKey } from './derive-stream-key';

const hex = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));

describe('deriveStreamKey', () => {
  it('rests on an HKDF-SHA256 that matches RFC 5869 test case 1', () => {
    const okm = hkdf(sha256, new Uint8Array(22).fill(0x0b), hex('000102030405060708090a0b0c'), hex('f0f1f2f3f4f5f6f7f8f9'), 42);
    expect(Buffer.from(okm).toString('hex')).toBe('3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865');
  });

  it('equals HKDF-SHA256(key, salt "twin/frame-key/v1", info alg NUL streamId) computed by node:crypto', () => {
    const key = new Uint8Array(randomBytes(32));
    const expected = new Uint8Array(hkdfSync('sha256', key, 'twin/frame-key/v1', 'aes-256-gcm\u0000stream-42', 32));
    expect(deriveStreamKey(key, 'stream-42', 'aes-256-gcm')).toEqual(expected);
  });

  it('gives different keys for different streams, algorithms and master keys', () => {
    const key = new Uint8Array(randomBytes(32));
    const a = deriveStreamKey(key, 's1', 'aes-256-gcm');
    expect(deriveStreamKey(key, 's2', 'aes-256-gcm')).not.toEqual(a);
    expect(deriveStreamKey(key, 's1', 'xchacha20-poly1305')).not.toEqual(a);
    expect(deriveStreamKey(new Uint8Array(randomBytes(32)), 's1', 'aes-256-gcm')).not.toEqual(a);
    expect(deriveStreamKey(key, 's1', 'aes-256-gcm')).toEqual(a);
  });

  it('names a wrong argument', () => {
    expect(() => deriveStreamKey(new Uint8Array(31), 's', 'aes-256-gcm')).toThrowError(expect.objectContaining({ code: 'invalid_argument', message: 'key must be 32 bytes, got 31' }));
    expect(() => deriveStreamKey(new Uint8Array(32), '', 'aes-256-gcm')).toThrowError(expect.objectContaining({ code: 'invalid_argument', message: expect.stringMatching(/^streamId must be/) }));
  });
});
