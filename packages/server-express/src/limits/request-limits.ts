import type { ServerResponse } from 'node:http';
import { TwinError, estimateInputTokens, type Provider, type ProviderRequest, type ProviderStreamOptions, type StreamPart, type TokenCounter, type Usage } from '@twin/core';
import type { Logger } from 'pino';
import type { AuthContext } from '../auth/authenticator';
import type { ServerMetrics } from '../observability/server-metrics';
import type { ApiKeyAdminStore } from '../storage/api-key-admin-store';
import { createRateLimiter, type RateLimitReservation, type RateLimitRule, type RateLimitCounters } from './rate-limiter';
import type { AsyncRateLimiter } from './redis-rate-limiter';

/** Requests and tokens per minute. */
export interface RateLimits {
  requestsPerMinute?: number | undefined;
  tokensPerMinute?: number | undefined;
}

/** What {@link createRequestLimits} takes. */
export interface RequestLimitsOptions {
  keys: ApiKeyAdminStore;
  metrics: ServerMetrics;
  logger: Logger;
  /** Limits of a key that has none of its own (default: none). */
  defaultKeyLimits?: RateLimits;
  countTokens?: TokenCounter;
  now?: () => number;
  counters?: RateLimitCounters;
  /** Counters shared by a cluster (`createRedisRateLimiter`); default this process's own (`counters`). */
  limiter?: AsyncRateLimiter;
  /** How often tenant limits are re-read from the database (default 30 s; a PUT applies at once on this instance). */
  refreshMs?: number;
}

/** Per-key and per-tenant rate limits of stream starts. */
export interface RequestLimits {
  readonly limiter: AsyncRateLimiter;
  /**
   * Counts a stream start against the caller's key and tenant limits. Sets the `x-ratelimit-*`
   * headers on `res` either way; over a limit, rejects with 429 `rate_limited` and `Retry-After`.
   */
  admit(auth: AuthContext, request: ProviderRequest, res: ServerResponse): Promise<RateLimitReservation>;
  /** The provider of an admitted stream, settling the token estimate with the usage it reports. */
  settling(provider: Provider, reservation: RateLimitReservation, request: ProviderRequest): Provider;
  tenantLimits(tenantId: string): RateLimits;
  setTenantLimits(tenantId: string, limits: RateLimits): Promise<void>;
  /** Loads every tenant's limits (on start, then every `refreshMs`). */
  refresh(): Promise<void>;
  stop(): void;
}

export function createRequestLimits(options: RequestLimitsOptions): RequestLimits {
  const now = options.now ?? Date.now;
  const limiter = options.limiter ?? asAsync(createRateLimiter({ now, ...(options.counters ? { counters: options.counters } : {}) }));
  let tenants = new Map<string, RateLimits>();
  const estimateTokens = (request: ProviderRequest): number => {
    const input = options.countTokens ? estimateInputTokens(request, options.countTokens) : Math.ceil(JSON.stringify(request.messages).length / 4);
    return input + (request.maxTokens ?? 0);
  };
  const refresh = async () => {
    const rows = await options.keys.listTenantLimits();
    tenants = new Map(rows.map((r) => [r.tenantId, { ...(r.requestsPerMinute !== null ? { requestsPerMinute: r.requestsPerMinute } : {}), ...(r.tokensPerMinute !== null ? { tokensPerMinute: r.tokensPerMinute } : {}) }]));
  };
  const timer = setInterval(() => {
    refresh().catch((err: unknown) => options.logger.warn({ err }, 'reading tenant rate limits failed; keeping the previous ones'));
  }, options.refreshMs ?? 30_000);
  timer.unref();

  return {
    limiter,
    async admit(auth, request, res) {
      const key = {
        requestsPerMinute: auth.requestsPerMinute ?? options.defaultKeyLimits?.requestsPerMinute,
        tokensPerMinute: auth.tokensPerMinute ?? options.defaultKeyLimits?.tokensPerMinute,
      };
      const rules: RateLimitRule[] = [
        { scope: `key:${auth.apiKeyId}`, ...key },
        { scope: `tenant:${auth.tenantId}`, ...tenants.get(auth.tenantId) },
      ];
      const decision = await limiter.acquire(rules, estimateTokens(request));
      for (const [name, value] of Object.entries(decision.headers)) res.setHeader(name, value);
      if (decision.allowed) return decision.reservation!;
      options.metrics.rejected.inc({ reason: decision.limitedBy === 'tokens' ? 'rate_limit_tokens' : 'rate_limit_requests' });
      const who = decision.scope?.startsWith('tenant:') ? 'tenant' : 'API key';
      throw new TwinError('rate_limited', `This ${who} is over its ${decision.limitedBy === 'tokens' ? 'tokens' : 'requests'} per minute limit; retry after the window resets.`, {
        retryAfterMs: decision.resetMs,
        details: { limit: decision.limitedBy === 'tokens' ? 'tokens_per_minute' : 'requests_per_minute', scope: who === 'tenant' ? 'tenant' : 'key' },
      });
    },
    settling(provider, reservation, request) {
      if (reservation.scopes.length === 0) return provider;
      const settle = (usage: Usage | undefined) => {
        const input = usage?.inputTokens ?? (options.countTokens ? estimateInputTokens(request, options.countTokens) : reservation.tokens);
        limiter.settle(reservation, input + (usage?.outputTokens ?? 0));
      };
      const pushed = provider.streamParts?.bind(provider);
      return {
        name: provider.name,
        ...(provider.defaultModel ? { defaultModel: provider.defaultModel } : {}),
        stream: (req, streamOptions) => settleOnEnd(provider.stream(req, streamOptions), settle),
        ...(pushed
          ? {
              streamParts: (req: ProviderRequest, streamOptions: ProviderStreamOptions, onParts: (parts: readonly StreamPart[]) => void) => {
                const seen = new LastUsage();
                return pushed(req, streamOptions, (parts) => {
                  seen.read(parts);
                  onParts(parts);
                }).finally(() => settle(seen.usage));
              },
            }
          : {}),
      };
    },
    tenantLimits: (tenantId) => tenants.get(tenantId) ?? {},
    async setTenantLimits(tenantId, limits) {
      await options.keys.putTenantLimits({ tenantId, requestsPerMinute: limits.requestsPerMinute ?? null, tokensPerMinute: limits.tokensPerMinute ?? null, updatedAt: new Date(now()) });
      tenants.set(tenantId, limits);
    },
    refresh,
    stop: () => clearInterval(timer),
  };
}

/** A limiter answering at once, behind the awaited interface a shared one needs. */
function asAsync(limiter: ReturnType<typeof createRateLimiter>): AsyncRateLimiter {
  return {
    acquire: (rules, estimatedTokens) => Promise.resolve(limiter.acquire(rules, estimatedTokens)),
    settle: (reservation, actualTokens) => limiter.settle(reservation, actualTokens),
  };
}

/** Passes parts through and reports the last usage seen once the stream is over, however it ends. */
async function* settleOnEnd(parts: AsyncIterable<StreamPart>, onEnd: (usage: Usage | undefined) => void): AsyncGenerator<StreamPart> {
  const seen = new LastUsage();
  try {
    for await (const part of parts) {
      seen.read([part]);
      yield part;
    }
  } finally {
    onEnd(seen.usage);
  }
}

/** The last usage a stream reported (its `usage` part, or the one its `error` part carries). */
class LastUsage {
  usage: Usage | undefined;

  read(parts: readonly StreamPart[]): void {
    for (const part of parts) {
      if (part.type === 'usage') this.usage = part.usage;
      else if (part.type === 'error' && part.usage) this.usage = part.usage;
    }
  }
}
