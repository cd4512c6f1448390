import { describe, expect, it } from 'vitest';
import { assertBytes, assertCipherAlg, assertNonEmptyString } from './argument-guards';

const err = (message: string) => expect.objectContaining({ code: 'invalid_argument', message });

describe('argument guards', () => {
  it('checks bytes and their exact length, naming the argument', () => {
    expect(() => assertBytes(new Uint8Array(32), 'key', 32)).not.toThrow();
    expect(() => assertBytes(new Uint8Array(33), 'key', 32)).toThrowError(err('key must be 32 bytes, got 33'));
    expect(() => assertBytes(new ArrayBuffer(32), 'key', 32)).toThrowError(err('key must be a Uint8Array, got ArrayBuffer'));
  });

  it('checks strings and algorithms', () => {
    expect(() => assertNonEmptyString('x'.repeat(129), 'id', 128)).toThrowError(err('id must be 1–128 characters, got 129'));
    expect(() => assertNonEmptyString(7, 'id')).toThrowError(err('id must be a string, got number'));
    expect(() => assertCipherAlg('xchacha20-poly1305')).not.toThrow();
    expect(() => assertCipherAlg(undefined, 'opts.alg')).toThrowError(err("opts.alg must be 'aes-256-gcm' or 'xchacha20-poly1305', got undefined"));
  });
});
