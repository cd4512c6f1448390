import {
  DEFAULT_PRICING,
  budgetPeriodBounds,
  calculateBill,
  findPricing,
  type Bill,
  type StreamBillingConfig,
  type Usage,
} from '@twin/core';
import type { TwinStore } from '../storage/twin-store';

/** Where a stream's price comes from, and the running per-tenant token totals volume discounts need. */
export interface PricingBook {
  /** Configs in force: stored (`PUT /api/billing/configs`), then the pricing file, then the shipped defaults. */
  list(): readonly StreamBillingConfig[];
  /** Stores a config (admin); it takes effect for streams starting after its `effectiveFrom`. */
  put(config: StreamBillingConfig): Promise<StreamBillingConfig>;
  /** Loads the tenant's period-to-date tokens once, so billing at the end of a stream does not wait. */
  warm(tenantId: string, at: Date): Promise<void>;
  /** Prices one stream. `undefined` when no config matches the provider and model. */
  bill(input: {
    tenantId: string;
    provider: string;
    model: string;
    startedAt: Date;
    usage: Usage | undefined;
    durationMs: number;
    bytes: number;
    connections: number;
  }): Bill | undefined;
  reload(): Promise<void>;
}

/** Start of the calendar month (UTC) `at` falls in: the billing period volume tiers count over. */
export function billingPeriodStart(at: Date): Date {
  return budgetPeriodBounds('month', at).from;
}

export async function createPricingBook(store: TwinStore, fileConfigs: readonly StreamBillingConfig[] = []): Promise<PricingBook> {
  let stored: StreamBillingConfig[] = await store.listBillingConfigs();
  let all: StreamBillingConfig[] = [...stored, ...fileConfigs, ...DEFAULT_PRICING];
  // tenant|period → tokens billed so far in that period (loaded from the database once, then kept).
  const periodTokens = new Map<string, number | Promise<number>>();
  const key = (tenantId: string, at: Date) => `${tenantId}|${billingPeriodStart(at).toISOString()}`;

  const book: PricingBook = {
    list: () => all,
    async put(config) {
      const id = config.id ?? `${config.provider}/${config.model}@${config.effectiveFrom}`;
      const withId = { ...config, id };
      await store.upsertBillingConfig(withId);
      await book.reload();
      return withId;
    },
    async warm(tenantId, at) {
      const k = key(tenantId, at);
      if (periodTokens.has(k)) {
        await periodTokens.get(k);
        return;
      }
      const loading = store.tenantTokensSince(tenantId, billingPeriodStart(at));
      periodTokens.set(k, loading);
      try {
        periodTokens.set(k, await loading);
      } catch (error) {
        periodTokens.delete(k);
        throw error;
      }
    },
    bill(input) {
      const config = findPricing(all, input.provider, input.model, input.startedAt);
      if (!config) return undefined;
      const k = key(input.tenantId, input.startedAt);
      const known = periodTokens.get(k);
      const before = typeof known === 'number' ? known : 0;
      const u = input.usage;
      const bill = calculateBill(
        {
          ...(u ? { usage: u } : {}),
          durationMs: Math.max(0, Math.round(input.durationMs)),
          bytes: input.bytes,
          connections: Math.max(1, input.connections),
        },
        config,
        { periodTokensBefore: before },
      );
      periodTokens.set(k, before + bill.billableTokens);
      return bill;
    },
    async reload() {
      stored = await store.listBillingConfigs();
      all = [...stored, ...fileConfigs, ...DEFAULT_PRICING];
    },
  };
  return book;
}
