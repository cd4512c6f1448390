import { describe, expect, it } from 'vitest';
import { hchacha20 } from './hchacha20';

const hex = (h: string) => Uint8Array.from(Buffer.from(h.replace(/[\s:]+/g, ''), 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('hchacha20', () => {
  it('matches the HChaCha20 test vector of draft-irtf-cfrg-xchacha-03 §2.2.1', () => {
    const key = hex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
    const nonce = hex('000000090000004a0000000031415927');
    expect(toHex(hchacha20(key, nonce))).toBe('82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc');
  });

  it('gives the same subkey for unaligned subarrays (callers pass slices of a 24-byte nonce)', () => {
    const key = hex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
    const buffer = new Uint8Array(64);
    buffer.set(key, 1);
    buffer.set(hex('000000090000004a0000000031415927'), 35);
    expect(toHex(hchacha20(buffer.subarray(1, 33), buffer.subarray(35, 51)))).toBe('82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc');
    expect(buffer.subarray(1, 33)).toEqual(key); // inputs are not modified
  });

  it('refuses a key or nonce of the wrong length', () => {
    expect(() => hchacha20(new Uint8Array(16), new Uint8Array(16))).toThrow('hchacha20 takes a 32-byte key and a 16-byte nonce, got 16 and 16');
    expect(() => hchacha20(new Uint8Array(32), new Uint8Array(24))).toThrow(RangeError);
  });
});
