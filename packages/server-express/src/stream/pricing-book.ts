import {
  DEFAULT_PRICING,
  PRICE_CATALOGUE,
  applyBillingProfile,
  billingContextFor,
  budgetPeriodBounds,
  calculateBill,
  findCataloguePricing,
  findPricing,
  resolvePricing,
  unpricedModels,
  unpricedPricing,
  type Bill,
  type BillingProfile,
  type PriceBook,
  type StreamBillingConfig,
  type UnpricedModelPolicy,
  type Usage,
} from '@twin/core';
import type { BillingProfileStore } from '../storage/billing-profile-store';
import { BillingMonth } from './billing-month';
import type { TwinStore } from '../storage/twin-store';

/** Where a stream's price comes from, and the running per-tenant token totals volume discounts need. */
export interface PricingBook {
  /** Configs in force: stored (`PUT /api/billing/configs`), then the pricing file, then the shipped examples. */
  list(): readonly StreamBillingConfig[];
  /** Stores a config (admin); it takes effect for streams starting after its `effectiveFrom`. */
  put(config: StreamBillingConfig): Promise<StreamBillingConfig>;
  /** The unpriced-model policy in force. */
  readonly unpricedPolicy: UnpricedModelPolicy;
  /**
   * Checks, before any provider call, that a stream on this model can be billed: throws
   * `model_unpriced` (422) under the `reject` policy when nobody prices it.
   */
  check(provider: string, model: string, at: Date): { priced: boolean };
  /** Which of these models nobody prices (for the start-up warning). */
  unpriced(models: readonly { provider: string; model: string }[], at: Date): { provider: string; model: string }[];
  /** Loads the tenant's period-to-date tokens and billing profile once, so billing at the end of a stream does not wait. */
  warm(tenantId: string, at: Date): Promise<void>;
  /**
   * Prices one stream, with the tenant's billing profile. A stream that started always gets a bill:
   * a model nobody prices (allowed, or reached by a fallback) is billed flagged `unpriced`.
   */
  bill(input: BillInput): Bill;
  /**
   * What a running stream has cost so far (same calculator, profile and period tokens as
   * {@link PricingBook.bill}), without counting its tokens into the period: a budget's mid-stream check.
   */
  quote(input: BillInput): Bill;
  /** Forgets a tenant's cached profile (after `PUT /api/billing/profiles`). */
  forgetProfile(tenantId: string): void;
  reload(): Promise<void>;
}

/** What one stream used, to be priced. */
export interface BillInput {
  tenantId: string;
  provider: string;
  model: string;
  startedAt: Date;
  usage: Usage | undefined;
  durationMs: number;
  bytes: number;
  connections: number;
}

/** Start of the calendar month (UTC) `at` falls in: the billing period volume tiers count over. */
export function billingPeriodStart(at: Date): Date {
  return budgetPeriodBounds('month', at).from;
}

export interface PricingBookOptions {
  /** Price tables from a file; stored tables win over them, and they over the shipped examples. */
  fileConfigs?: readonly StreamBillingConfig[];
  /** Provider list prices used when no table prices a model (default: core's `PRICE_CATALOGUE`; `false` for none). */
  catalogue?: PriceBook['catalogue'] | false;
  /** Default `reject`. */
  unpriced?: UnpricedModelPolicy;
  profiles?: BillingProfileStore;
  /** Told of every stream billed unpriced (a metrics counter) and every stream refused as unpriced. */
  onUnpriced?: (provider: string, model: string, outcome: 'billed' | 'rejected') => void;
}

export async function createPricingBook(store: TwinStore, options: PricingBookOptions = {}): Promise<PricingBook> {
  const fileConfigs = options.fileConfigs ?? [];
  const catalogue = options.catalogue === false ? undefined : (options.catalogue ?? PRICE_CATALOGUE);
  const policy = options.unpriced ?? 'reject';
  let stored: StreamBillingConfig[] = await store.listBillingConfigs();
  let all: StreamBillingConfig[] = [...stored, ...fileConfigs, ...DEFAULT_PRICING];
  const priceBook = (): PriceBook => ({ tables: all, ...(catalogue ? { catalogue } : {}), unpriced: policy });
  // tenant|period → tokens billed so far in that period (loaded from the database once, then kept).
  const periodTokens = new Map<string, number | Promise<number>>();
  const profiles = new Map<string, BillingProfile | null>();
  const month = new BillingMonth();
  const key = (tenantId: string, at: Date) => `${tenantId}|${month.startOf(at)}`;

  const book: PricingBook = {
    list: () => all,
    unpricedPolicy: policy,
    async put(config) {
      const id = config.id ?? `${config.provider}/${config.model}@${config.effectiveFrom}`;
      const withId = { ...config, id };
      await store.upsertBillingConfig(withId);
      await book.reload();
      return withId;
    },
    check(provider, model, at) {
      try {
        return { priced: resolvePricing(priceBook(), provider, model, at).priced };
      } catch (error) {
        options.onUnpriced?.(provider, model, 'rejected');
        throw error;
      }
    },
    unpriced: (models, at) => unpricedModels(priceBook(), models, at),
    async warm(tenantId, at) {
      if (options.profiles && !profiles.has(tenantId)) profiles.set(tenantId, (await options.profiles.get(tenantId)) ?? null);
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
      const { bill, k, before } = price(input);
      periodTokens.set(k, before + bill.billableTokens);
      if (bill.unpriced) options.onUnpriced?.(input.provider, input.model, 'billed');
      return bill;
    },
    quote: (input) => price(input).bill,
    forgetProfile(tenantId) {
      profiles.delete(tenantId);
    },
    async reload() {
      stored = await store.listBillingConfigs();
      all = [...stored, ...fileConfigs, ...DEFAULT_PRICING];
    },
  };

  function price(input: BillInput): { bill: Bill; k: string; before: number } {
    const prices =
      findPricing(all, input.provider, input.model, input.startedAt) ??
      (catalogue ? findCataloguePricing(catalogue, input.provider, input.model, input.startedAt) : undefined) ??
      unpricedPricing(input.provider, input.model);
    const profile = profiles.get(input.tenantId) ?? undefined;
    const config = applyBillingProfile(prices, profile);
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
      billingContextFor(profile, config, { periodTokensBefore: before }),
    );
    return { bill, k, before };
  }
  return book;
}
