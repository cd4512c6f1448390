import { describe, expect, it } from 'vitest';
import { assertEvent, assertSeq } from './payload-guards';

const err = (message: string) => expect.objectContaining({ code: 'invalid_argument', message });

describe('payload guards', () => {
  it('accepts only the sealable events', () => {
    expect(() => assertEvent('chunk')).not.toThrow();
    expect(() => assertEvent('resync')).not.toThrow();
    // The terminal events are sealable too: their seal binds the ending into the chain.
    expect(() => assertEvent('complete')).not.toThrow();
    expect(() => assertEvent('error')).not.toThrow();
    expect(() => assertEvent('start')).toThrowError(err("event must be 'chunk', 'resync', 'complete' or 'error', got 'start'"));
  });

  it('accepts only non-negative safe integers as seq', () => {
    expect(() => assertSeq(0)).not.toThrow();
    expect(() => assertSeq(1.5)).toThrowError(err('seq must be a non-negative integer, got 1.5'));
    expect(() => assertSeq(2 ** 53)).toThrowError(err(`seq must be a non-negative integer, got ${2 ** 53}`));
    expect(() => assertSeq('3')).toThrowError(err('seq must be a non-negative integer, got string'));
  });
});
