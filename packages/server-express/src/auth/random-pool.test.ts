import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashApiKey, randomId } from './api-key';
import { RandomPool } from './random-pool';

describe('RandomPool', () => {
  it('hands out every byte once, refilling before an id would run past the end', () => {
    let fills = 0;
    // A counter as the "random" source, so repeated bytes would show.
    let next = 0;
    const pool = new RandomPool(10, (buffer) => {
      fills++;
      for (let i = 0; i < buffer.length; i++) buffer[i] = next++ & 0xff;
    });
    const taken = [pool.base64url(4), pool.base64url(4), pool.base64url(4), pool.base64url(3)].map((s) => [...Buffer.from(s, 'base64url')]);
    expect(taken).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [10, 11, 12, 13], [14, 15, 16]]);
    expect(fills).toBe(2);
    expect(() => pool.base64url(11)).toThrow(RangeError);
  });

  it('randomId keeps its shape (prefix, base64url of the asked bytes) and never repeats', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2_000; i++) {
      const id = randomId('str', 16);
      expect(id).toMatch(/^str_[A-Za-z0-9_-]{22}$/);
      seen.add(id);
    }
    expect(seen.size).toBe(2_000);
  });

  it("hashApiKey is the key's hex SHA-256 (stored hashes still match)", () => {
    for (const key of ['twin_sk_abc', 'ключ', '']) expect(hashApiKey(key)).toBe(createHash('sha256').update(key, 'utf8').digest('hex'));
  });
});
