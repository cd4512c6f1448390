import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createNonceSource, NONCES_PER_DRAW } from './nonce-source';

describe('createNonceSource', () => {
  it('cuts consecutive, non-overlapping nonces from each draw and draws again when one runs out', () => {
    const draws: Uint8Array[] = [];
    const next = createNonceSource((n) => {
      const bytes = new Uint8Array(randomBytes(n));
      draws.push(bytes.slice());
      return bytes;
    }, 24);
    const nonces = Array.from({ length: NONCES_PER_DRAW * 2 + 1 }, () => next().slice());
    expect(draws.map((d) => d.length)).toEqual([24 * NONCES_PER_DRAW, 24 * NONCES_PER_DRAW, 24 * NONCES_PER_DRAW]);
    // Every random byte used exactly once, in order: the nonces concatenated are the draws.
    const used = Uint8Array.from(nonces.flatMap((n) => [...n]));
    expect(used).toEqual(Uint8Array.from(draws.flatMap((d) => [...d]).slice(0, used.length)));
    expect(new Set(nonces.map((n) => Buffer.from(n).toString('hex'))).size).toBe(nonces.length);
  });

  it('never overwrites a nonce it handed out (each draw is a new array)', () => {
    let calls = 0;
    const next = createNonceSource((n) => new Uint8Array(n).fill(++calls), 12, 2);
    const first = next();
    next();
    expect([...next()]).toEqual(new Array(12).fill(2)); // from the second draw
    expect([...first]).toEqual(new Array(12).fill(1));
  });
});
