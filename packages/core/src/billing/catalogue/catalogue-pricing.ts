import { streamBillingConfigSchema, type StreamBillingConfig, type StreamBillingConfigInput } from '../../protocol/billing';
import { ANTHROPIC_CATALOGUE } from './anthropic-catalogue.generated';
import { GOOGLE_CATALOGUE } from './google-catalogue.generated';
import { OPENAI_CATALOGUE } from './openai-catalogue.generated';
import { cataloguePriceAt, findCatalogueModel, type CatalogueModel, type CataloguePrice } from './price-catalogue';

/**
 * Twin's catalogue of current list prices: OpenAI, Anthropic and Google models, per 1,000 tokens,
 * with effective dates, cache read and write prices and context-size tiers (see
 * `CATALOGUE_SOURCE` for the source version, `pnpm catalogue:update` to refresh it).
 */
export const PRICE_CATALOGUE: readonly CatalogueModel[] = Object.freeze([...OPENAI_CATALOGUE, ...ANTHROPIC_CATALOGUE, ...GOOGLE_CATALOGUE]);

/**
 * The operator's own charges for serving a stream through Twin (the streaming, bandwidth premium and
 * infrastructure lines) and how its bills round. The catalogue holds the providers' token prices only.
 */
export interface PlatformCharges {
  readonly rounding: StreamBillingConfig['rounding'];
  readonly streaming: StreamBillingConfig['streaming'];
  readonly bandwidthPremium?: StreamBillingConfig['bandwidthPremium'];
  readonly infrastructure: StreamBillingConfig['infrastructure'];
}

/** No platform charges: a bill is the provider's list price for the tokens, to 6 places. */
export const NO_PLATFORM_CHARGES: PlatformCharges = Object.freeze({
  rounding: Object.freeze({ mode: 'half-up' as const, minorUnits: 6 }),
  streaming: Object.freeze({ perSecond: '0', perMB: '0' }),
  infrastructure: Object.freeze({ perConnection: '0', perHour: '0' }),
});

// One table per (catalogue price, platform charges): every stream on a model shares one compiled table.
const tables = new WeakMap<CataloguePrice, WeakMap<PlatformCharges, StreamBillingConfig>>();

/**
 * The price table of one catalogue price: its token prices, the platform's charges, and no discount,
 * SLA or tax (those belong to the customer's billing profile, see `applyBillingProfile`). Its id,
 * `catalogue:<provider>/<model>@<effective date>`, is what a billing record keeps.
 */
export function catalogueToPricing(model: CatalogueModel, price: CataloguePrice, platform: PlatformCharges = NO_PLATFORM_CHARGES): StreamBillingConfig {
  let perPlatform = tables.get(price);
  if (!perPlatform) tables.set(price, (perPlatform = new WeakMap()));
  const hit = perPlatform.get(platform);
  if (hit) return hit;
  const tokenPrices = (p: CataloguePrice | NonNullable<CataloguePrice['contextTiers']>[number]) => ({
    inputPer1K: p.inputPer1K,
    outputPer1K: p.outputPer1K,
    ...(p.cachedInputReadPer1K === undefined ? {} : { cachedInputReadPer1K: p.cachedInputReadPer1K }),
    ...(p.cachedInputWritePer1K === undefined ? {} : { cachedInputWritePer1K: p.cachedInputWritePer1K }),
    ...(p.reasoningPer1K === undefined ? {} : { reasoningPer1K: p.reasoningPer1K }),
  });
  const input: StreamBillingConfigInput = {
    id: `catalogue:${model.provider}/${model.id}@${price.effectiveFrom.slice(0, 10)}`,
    provider: model.provider,
    model: model.id,
    effectiveFrom: price.effectiveFrom,
    currency: 'USD',
    rounding: platform.rounding,
    tokens: {
      ...tokenPrices(price),
      ...(price.contextTiers ? { contextTiers: price.contextTiers.map((t) => ({ aboveInputTokens: t.aboveInputTokens, ...tokenPrices(t) })) } : {}),
    },
    streaming: platform.streaming,
    infrastructure: platform.infrastructure,
    ...(platform.bandwidthPremium ? { bandwidthPremium: platform.bandwidthPremium } : {}),
  };
  const config = Object.freeze(streamBillingConfigSchema.parse(input));
  perPlatform.set(platform, config);
  return config;
}

/**
 * The catalogue's price table for a provider's model at a moment, or `undefined` when the catalogue
 * does not price it (then the unpriced-model policy decides, see `resolvePricing`).
 */
export function findCataloguePricing(
  catalogue: readonly CatalogueModel[],
  provider: string,
  model: string,
  at: Date | string | number,
  platform: PlatformCharges = NO_PLATFORM_CHARGES,
): StreamBillingConfig | undefined {
  const entry = findCatalogueModel(catalogue, provider, model);
  const price = entry && cataloguePriceAt(entry, at);
  return entry && price ? catalogueToPricing(entry, price, platform) : undefined;
}
