import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff';

describe('backoffDelay', () => {
  it('grows exponentially from the base and stays within [half, full] of each step', () => {
    const opts = { initialDelayMs: 100, maxDelayMs: 10_000, factor: 2 };
    expect(backoffDelay(1, opts, () => 0)).toBe(50);
    expect(backoffDelay(1, opts, () => 1)).toBe(100);
    expect(backoffDelay(4, opts, () => 1)).toBe(800);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.double({ min: 0, max: 1, noNaN: true }), (attempt, r) => {
        const d = backoffDelay(attempt, opts, () => r);
        const step = Math.min(10_000, 100 * 2 ** (attempt - 1));
        expect(d).toBeGreaterThanOrEqual(Math.floor(step / 2));
        expect(d).toBeLessThanOrEqual(10_000);
      }),
    );
  });

  it('uses the server retry hint as the base and Retry-After as a floor', () => {
    expect(backoffDelay(1, { initialDelayMs: 1 }, () => 1, 2_000)).toBe(2_000);
    expect(backoffDelay(1, { initialDelayMs: 1 }, () => 0, undefined, 5_000)).toBe(5_000);
  });
});
