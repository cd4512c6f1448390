import { createSimulatedProvider, type StreamPart } from '@twin/core';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { ApiKeyAdminStore } from '../storage/api-key-admin-store';
import type { ServerMetrics } from '../observability/server-metrics';
import type { AsyncRateLimiter } from './redis-rate-limiter';
import type { RateLimitReservation } from './rate-limiter';
import { createRequestLimits } from './request-limits';
import { loadO200kTokenCounter } from './o200k-token-counter';

const request = { messages: [{ role: 'user' as const, content: 'hello' }] };
const reservation: RateLimitReservation = { window: 0, scopes: ['key:k'], tokens: 100 };

/** The request limits with a limiter that records what each stream settles. */
function limitsSettling(): { settled: number[]; limits: ReturnType<typeof createRequestLimits> } {
  const settled: number[] = [];
  const limiter: AsyncRateLimiter = { acquire: () => Promise.reject(new Error('not used')), settle: (_r, tokens) => void settled.push(tokens) };
  const keys = { listTenantLimits: () => Promise.resolve([]) } as unknown as ApiKeyAdminStore;
  const limits = createRequestLimits({ keys, metrics: {} as ServerMetrics, logger: pino({ level: 'silent' }), limiter, refreshMs: 3_600_000 });
  return { settled, limits };
}

describe('request limits: the settling provider', () => {
  it('settles a pushed stream (streamParts) with the usage it reported, as a pulled one, once it ended', async () => {
    const provider = createSimulatedProvider({ tokensPerSecond: Infinity, outputTokens: 8 });
    const pulled = limitsSettling();
    const pulledParts: StreamPart[] = [];
    for await (const part of pulled.limits.settling(provider, reservation, request).stream(request)) pulledParts.push(part);
    const pushed = limitsSettling();
    const pushedParts: StreamPart[] = [];
    const settling = pushed.limits.settling(provider, reservation, request);
    await settling.streamParts!(request, {}, (parts) => pushedParts.push(...parts));
    pulled.limits.stop();
    pushed.limits.stop();
    const usage = pushedParts.find((p) => p.type === 'usage');
    expect(usage).toBeDefined();
    expect(pushed.settled).toEqual(pulled.settled);
    expect(pushed.settled).toHaveLength(1);
    expect(pushed.settled[0]).toBeGreaterThan(0);
  });

  it('leaves streamParts out when the provider has none (consumers then pull)', () => {
    const { limits } = limitsSettling();
    const pullOnly = { name: 'pull-only', stream: createSimulatedProvider().stream };
    expect(limits.settling(pullOnly, reservation, request).streamParts).toBeUndefined();
    limits.stop();
  });
});

describe('request limits: admitting', () => {
  it("estimates a prompt that names a special token (<|endoftext|>) as plain text instead of failing the request", async () => {
    const acquired: number[] = [];
    const limiter: AsyncRateLimiter = {
      acquire: (_rules, tokens) => {
        acquired.push(tokens);
        return Promise.resolve({ allowed: true, headers: {}, reservation, resetMs: 0 });
      },
      settle: () => undefined,
    };
    const keys = { listTenantLimits: () => Promise.resolve([]) } as unknown as ApiKeyAdminStore;
    const countTokens = await loadO200kTokenCounter();
    const limits = createRequestLimits({ keys, metrics: {} as ServerMetrics, logger: pino({ level: 'silent' }), limiter, countTokens, refreshMs: 3_600_000 });
    const res = { setHeader: () => undefined } as unknown as Parameters<typeof limits.admit>[2];
    const auth = { apiKeyId: 'k', tenantId: 't' } as Parameters<typeof limits.admit>[0];
    const special = { messages: [{ role: 'user' as const, content: 'Why does <|endoftext|> end my text?' }] };
    await expect(limits.admit(auth, special, res)).resolves.toBe(reservation);
    limits.stop();
    // Framing (3 per message + 3 for the reply + the role) plus the text's own tokens, the special token's included.
    expect(acquired).toEqual([3 + 3 + countTokens('user') + countTokens('Why does <|endoftext|> end my text?')]);
    expect(countTokens('<|endoftext|>')).toBeGreaterThan(1);
  });
});
