import { describe, expect, it } from 'vitest';
import { concatChunks } from './concat-chunks';

describe('concatChunks', () => {
  it('returns a single chunk as is and joins several in order', () => {
    const one = Uint8Array.of(1, 2);
    expect(concatChunks([one])).toBe(one);
    expect(concatChunks([Uint8Array.of(1), new Uint8Array(0), Uint8Array.of(2, 3)])).toEqual(Uint8Array.of(1, 2, 3));
    expect(concatChunks([])).toEqual(new Uint8Array(0));
  });
});
