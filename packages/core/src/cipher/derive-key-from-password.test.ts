import { randomBytes, scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveKeyFromPassword, deriveKeyFromPasswordAsync } from './derive-key-from-password';

const ascii = (s: string) => new TextEncoder().encode(s);

describe('deriveKeyFromPassword', () => {
  it('matches RFC 7914 §12 vector 3 ("pleaseletmein", "SodiumChloride", N=16384, r=8, p=1), first 32 bytes', () => {
    const key = deriveKeyFromPassword('pleaseletmein', ascii('SodiumChloride'), { N: 16_384, r: 8, p: 1 });
    // scrypt output is PBKDF2 output, so a 32-byte key is the prefix of the RFC's 64-byte value.
    expect(Buffer.from(key).toString('hex')).toBe('7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2');
  });

  it('agrees with node:crypto scrypt on a random password and salt, sync and async', async () => {
    const password = randomBytes(12).toString('base64') + ' ünïcode';
    const salt = new Uint8Array(randomBytes(16));
    const expected = new Uint8Array(scryptSync(password, salt, 32, { N: 1_024, r: 8, p: 1 }));
    expect(deriveKeyFromPassword(password, salt, { N: 1_024, r: 8, p: 1 })).toEqual(expected);
    expect(await deriveKeyFromPasswordAsync(password, salt, { N: 1_024, r: 8, p: 1 })).toEqual(expected);
  });

  it('requires a salt and sane parameters, naming the argument', () => {
    const err = (message: string | RegExp) => expect.objectContaining({ code: 'invalid_argument', message: typeof message === 'string' ? message : expect.stringMatching(message) });
    expect(() => deriveKeyFromPassword('pw', undefined as never)).toThrowError(err('salt must be a Uint8Array, got undefined'));
    expect(() => deriveKeyFromPassword('pw', ascii('NaCl'))).toThrowError(err('salt must be at least 8 bytes, got 4'));
    expect(() => deriveKeyFromPassword('', new Uint8Array(16))).toThrowError(err('password must not be empty'));
    expect(() => deriveKeyFromPassword(42 as never, new Uint8Array(16))).toThrowError(err('password must be a string or Uint8Array, got number'));
    expect(() => deriveKeyFromPassword('pw', new Uint8Array(16), { N: 1_000, r: 8, p: 1 })).toThrowError(err(/^params\.N must be a power of two/));
    expect(() => deriveKeyFromPassword('pw', new Uint8Array(16), { N: 1_024, r: 0, p: 1 })).toThrowError(err(/^params\.r must be/));
    expect(() => deriveKeyFromPassword('pw', new Uint8Array(16), { N: 1_024, r: 8, p: 1.5 })).toThrowError(err(/^params\.p must be/));
  });
});
