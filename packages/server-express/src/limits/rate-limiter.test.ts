import { describe, expect, it } from 'vitest';
import { createRateLimiter, formatResetDuration } from './rate-limiter';

function clock(start: number) {
  let t = start;
  return { now: () => t, set: (v: number) => (t = v) };
}

describe('createRateLimiter', () => {
  it('admits exactly requestsPerMinute requests in a window and the next one at its first millisecond', () => {
    const c = clock(120_000); // the start of a window
    const limiter = createRateLimiter({ now: c.now });
    const rules = [{ scope: 'key:a', requestsPerMinute: 3 }];
    const first = limiter.acquire(rules, 0);
    expect(first.headers).toEqual({ 'x-ratelimit-limit-requests': '3', 'x-ratelimit-remaining-requests': '2', 'x-ratelimit-reset-requests': '1m0s' });
    expect(limiter.acquire(rules, 0).allowed).toBe(true);
    c.set(179_999);
    const third = limiter.acquire(rules, 0);
    expect(third.allowed).toBe(true);
    expect(third.headers['x-ratelimit-remaining-requests']).toBe('0');
    const fourth = limiter.acquire(rules, 0);
    expect(fourth).toMatchObject({ allowed: false, limitedBy: 'requests', scope: 'key:a', resetMs: 1 });
    expect(fourth.headers['x-ratelimit-reset-requests']).toBe('1ms');
    c.set(180_000);
    expect(limiter.acquire(rules, 0)).toMatchObject({ allowed: true, headers: { 'x-ratelimit-remaining-requests': '2' } });
  });

  it('admits a request whose estimate fills the token limit exactly, refuses one token more, and settles with real usage', () => {
    const c = clock(60_000);
    const limiter = createRateLimiter({ now: c.now });
    const rules = [{ scope: 'tenant:t', tokensPerMinute: 100 }];
    const a = limiter.acquire(rules, 60);
    expect(a.headers['x-ratelimit-remaining-tokens']).toBe('40');
    expect(limiter.acquire(rules, 41)).toMatchObject({ allowed: false, limitedBy: 'tokens' });
    // The stream used 20 tokens fewer than estimated: they are given back in the same window.
    limiter.settle(a.reservation!, 40);
    const b = limiter.acquire(rules, 60);
    expect(b).toMatchObject({ allowed: true, headers: { 'x-ratelimit-remaining-tokens': '0' } });
    expect(limiter.acquire(rules, 1).allowed).toBe(false);
  });

  it('charges usage above the estimate to the current window once the reserved one is over, and refunds nothing there', () => {
    const c = clock(0);
    const limiter = createRateLimiter({ now: c.now });
    const rules = [{ scope: 's', tokensPerMinute: 100 }];
    const a = limiter.acquire(rules, 10);
    const b = limiter.acquire(rules, 50);
    c.set(60_000);
    limiter.settle(a.reservation!, 70); // 60 over its estimate
    limiter.settle(b.reservation!, 0); // a past window cannot be refunded
    expect(limiter.acquire(rules, 40).headers['x-ratelimit-remaining-tokens']).toBe('0');
  });

  it('counts a request only when every rule admits it, and reports the tightest rule', () => {
    const c = clock(0);
    const limiter = createRateLimiter({ now: c.now });
    const key = { scope: 'key:a', requestsPerMinute: 10 };
    const tenant = { scope: 'tenant:t', requestsPerMinute: 2 };
    expect(limiter.acquire([key, tenant], 0)).toMatchObject({ scope: 'tenant:t', headers: { 'x-ratelimit-remaining-requests': '1' } });
    limiter.acquire([key, tenant], 0);
    expect(limiter.acquire([key, tenant], 0)).toMatchObject({ allowed: false, scope: 'tenant:t' });
    // The refused request did not count against the key.
    expect(limiter.acquire([key], 0).headers['x-ratelimit-remaining-requests']).toBe('7');
  });

  it('has nothing to say without limits', () => {
    const limiter = createRateLimiter({ now: () => 5 });
    expect(limiter.acquire([{ scope: 'x' }], 1e9)).toMatchObject({ allowed: true, headers: {} });
  });
});

describe('formatResetDuration', () => {
  it('formats like OpenAI (Go durations)', () => {
    expect([0, 20, 999, 1_000, 1_500, 59_990, 60_000, 61_250].map(formatResetDuration)).toEqual(['0ms', '20ms', '999ms', '1s', '1.5s', '59.99s', '1m0s', '1m1.25s']);
  });
});
