import { z } from 'zod';
import { TwinError } from '../errors/twin-error';
import { streamBillingConfigSchema, type StreamBillingConfig } from '../protocol/billing';
import { findCataloguePricing, NO_PLATFORM_CHARGES, type PlatformCharges } from './catalogue/catalogue-pricing';
import type { CatalogueModel } from './catalogue/price-catalogue';
import { findPricing } from './find-pricing';

/**
 * What happens to a stream on a model nobody priced: `reject` (the default) refuses it before any
 * provider call with `model_unpriced` (HTTP 422); `allow` serves it and flags its record `unpriced`,
 * so reports, metrics and the receipt show it. Never a silent zero.
 */
export const unpricedModelPolicySchema = z.enum(['reject', 'allow']);
export type UnpricedModelPolicy = z.infer<typeof unpricedModelPolicySchema>;

/** Where prices come from, in order: the operator's own tables, then the catalogue. */
export interface PriceBook {
  /** Explicit price tables (e.g. `DEFAULT_PRICING`, or a file): they win over the catalogue. */
  readonly tables: readonly StreamBillingConfig[];
  /** Provider list prices (`PRICE_CATALOGUE`); none when omitted. */
  readonly catalogue?: readonly CatalogueModel[];
  /** The operator's streaming and infrastructure charges added to catalogue prices. */
  readonly platform?: PlatformCharges;
  /** Default `reject`. */
  readonly unpriced?: UnpricedModelPolicy;
}

/**
 * A priced model's table, or an allowed unpriced model's: token prices 0, the platform's charges,
 * flagged `unpriced` so every bill and record made with it says so.
 */
export interface PricingResolution {
  readonly priced: boolean;
  readonly config: StreamBillingConfig;
}

const unpricedTables = new WeakMap<PlatformCharges, Map<string, StreamBillingConfig>>();

/** The table an allowed unpriced model is billed with (cached: one object per provider/model and platform). */
export function unpricedPricing(provider: string, model: string, platform: PlatformCharges = NO_PLATFORM_CHARGES): StreamBillingConfig {
  let byModel = unpricedTables.get(platform);
  if (!byModel) unpricedTables.set(platform, (byModel = new Map()));
  const key = `${provider}/${model}`;
  let config = byModel.get(key);
  if (!config) {
    config = Object.freeze(
      streamBillingConfigSchema.parse({
        id: `unpriced:${key}`,
        provider,
        model,
        effectiveFrom: '1970-01-01T00:00:00Z',
        unpriced: true,
        rounding: platform.rounding,
        tokens: { inputPer1K: '0', outputPer1K: '0' },
        streaming: platform.streaming,
        infrastructure: platform.infrastructure,
        ...(platform.bandwidthPremium ? { bandwidthPremium: platform.bandwidthPremium } : {}),
      }),
    );
    if (byModel.size >= 10_000) byModel.clear(); // model names come from requests: bounded
    byModel.set(key, config);
  }
  return config;
}

/** The error a stream on an unpriced model is refused with (code `model_unpriced`, HTTP 422). */
export function unpricedModelError(provider: string, model: string): TwinError {
  return new TwinError(
    'model_unpriced',
    `No price is known for ${provider}/${model}, and unpriced models are refused. Add a price table for it, update the catalogue, or set the unpriced-model policy to "allow" (its streams are then billed flagged "unpriced").`,
    { retryable: false, details: { provider, model } },
  );
}

/** The price table for a provider's model at a moment, or the unpriced policy's answer (throws `model_unpriced` under `reject`). */
export function resolvePricing(book: PriceBook, provider: string, model: string, at: Date | string | number): PricingResolution {
  const config = findPricing(book.tables, provider, model, at) ?? (book.catalogue ? findCataloguePricing(book.catalogue, provider, model, at, book.platform ?? NO_PLATFORM_CHARGES) : undefined);
  if (config) return { priced: true, config };
  if ((book.unpriced ?? 'reject') === 'reject') throw unpricedModelError(provider, model);
  return { priced: false, config: unpricedPricing(provider, model, book.platform) };
}

/** Which of these provider/model pairs nobody prices (for a warning when a server starts). */
export function unpricedModels(book: PriceBook, models: readonly { provider: string; model: string }[], at: Date | string | number): { provider: string; model: string }[] {
  return models.filter((m) => !findPricing(book.tables, m.provider, m.model, at) && !(book.catalogue && findCataloguePricing(book.catalogue, m.provider, m.model, at, book.platform)));
}
