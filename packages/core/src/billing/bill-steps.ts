import { TwinError } from '../errors/twin-error';
import type { StreamBillingConfig } from '../protocol/billing';
import type { MeasuredSla, MeteredUsage } from './bill-types';
import { volumeDiscountResult, type CompiledPricing, type GuaranteeVerdicts, type ContextTierPrices, type SlaOutcome, type TokenPrices, type VolumeDiscount } from './compile-pricing';
import { compare, parseMeasurement, type Rational } from './rational';
import { formatPercent } from './round-rational';

/*
 * The steps of one bill (docs/billing.md, "Order, units and rounding"), each a pure function that
 * returns its values. `calculateBill` runs them in order. Amounts are integer numerators over the
 * compiled table's denominator (see CompiledPricing); the steps never round.
 */

/** A count (tokens, bytes, ms) checked to be a non-negative safe integer; counts are not amounts. */
export function count(name: string, value: number | undefined): number {
  if (value === undefined) return 0;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new TwinError('invalid_argument', `${name} must be a non-negative integer, got ${String(value)}.`);
  }
  return value;
}

/** SSE connections: 1 + reconnects, so at least 1 (a stream that was served had a connection). */
export function connectionCount(value: number | undefined): number {
  if (value === undefined) return 1;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new TwinError('invalid_argument', `connections must be a positive integer (1 + reconnects), got ${String(value)}.`);
  }
  return value;
}

/** The highest context-size tier whose threshold this usage's input tokens are ABOVE, if any. */
export function contextTier(pricing: CompiledPricing, usage: MeteredUsage['usage']): ContextTierPrices | undefined {
  const tiers = pricing.contextTiers;
  if (tiers.length === 0 || !usage || usage.inputTokens === undefined) return undefined;
  let tier: ContextTierPrices | undefined;
  for (let i = 0; i < tiers.length; i++) if (usage.inputTokens > tiers[i]!.aboveInputTokens) tier = tiers[i];
  return tier;
}

/** The tokens this usage adds to the period: input (cache included) + output (reasoning included). */
export function billableTokens(usage: MeteredUsage['usage']): number {
  if (!usage) return 0;
  const output = usage.outputTokens ?? 0;
  const reasoning = usage.reasoningTokens ?? 0;
  return (usage.inputTokens ?? 0) + (output > reasoning ? output : reasoning);
}

/**
 * Checks a usage's token counts: each a non-negative safe integer, the input including the cache
 * reads and writes, the output including the reasoning (when the output is known).
 */
export function checkTokenCounts(usage: MeteredUsage['usage']): void {
  if (!usage) return;
  // Checked in place first (a call to `count` per field was most of this step's cost); any
  // doubt goes to the checks below, which name the field.
  const input = usage.inputTokens === undefined ? 0 : usage.inputTokens;
  const cacheRead = usage.cacheReadTokens === undefined ? 0 : usage.cacheReadTokens;
  const cacheWrite = usage.cacheWriteTokens === undefined ? 0 : usage.cacheWriteTokens;
  const output = usage.outputTokens === undefined ? 0 : usage.outputTokens;
  const reasoning = usage.reasoningTokens === undefined ? 0 : usage.reasoningTokens;
  if (
    Number.isSafeInteger(input) && input >= 0 &&
    Number.isSafeInteger(cacheRead) && cacheRead >= 0 &&
    Number.isSafeInteger(cacheWrite) && cacheWrite >= 0 &&
    Number.isSafeInteger(output) && output >= 0 &&
    Number.isSafeInteger(reasoning) && reasoning >= 0 &&
    input - cacheRead - cacheWrite >= 0 &&
    (reasoning <= output || usage.outputTokens === undefined)
  ) {
    return;
  }
  checkTokenCountsNamed(usage);
}

/** {@link checkTokenCounts} field by field, for the error that names the field. */
function checkTokenCountsNamed(usage: NonNullable<MeteredUsage['usage']>): void {
  const input = count('inputTokens', usage.inputTokens);
  const cacheRead = count('cacheReadTokens', usage.cacheReadTokens);
  const cacheWrite = count('cacheWriteTokens', usage.cacheWriteTokens);
  const output = count('outputTokens', usage.outputTokens);
  const reasoning = count('reasoningTokens', usage.reasoningTokens);
  if (input - cacheRead - cacheWrite < 0) {
    throw new TwinError('invalid_argument', `inputTokens (${input}) must include cacheReadTokens (${cacheRead}) and cacheWriteTokens (${cacheWrite}); see the Usage conventions.`);
  }
  if (reasoning > output && usage.outputTokens !== undefined) {
    throw new TwinError('invalid_argument', `outputTokens (${output}) must include reasoningTokens (${reasoning}).`);
  }
}

/**
 * Step 1, token cost, as a numerator over `base / lift`: non-cached input, cache reads, cache writes,
 * output (reasoning excluded) and reasoning, each at its price from `prices` (the table's, or the
 * context-size tier's when the input is above one). The counts must have passed {@link checkTokenCounts}.
 */
export function tokenCost(prices: TokenPrices, usage: MeteredUsage['usage']): bigint {
  if (!usage) return 0n;
  const cacheRead = usage.cacheReadTokens ?? 0;
  const cacheWrite = usage.cacheWriteTokens ?? 0;
  const output = usage.outputTokens ?? 0;
  const reasoning = usage.reasoningTokens ?? 0;
  // Integer counts below 2^53: exact as numbers. Money starts where they meet a price (bigint).
  const nonCached = (usage.inputTokens ?? 0) - cacheRead - cacheWrite;
  // Reasoning is output; when output is unknown, known reasoning tokens are still priced.
  const plainOutput = output > reasoning ? output - reasoning : 0;
  let numerator = 0n;
  if (nonCached !== 0) numerator = BigInt(nonCached) * prices.perInputToken;
  if (cacheRead !== 0) numerator += BigInt(cacheRead) * prices.perCacheReadToken;
  if (cacheWrite !== 0) numerator += BigInt(cacheWrite) * prices.perCacheWriteToken;
  if (plainOutput !== 0) numerator += BigInt(plainOutput) * prices.perOutputToken;
  if (reasoning !== 0) numerator += BigInt(reasoning) * prices.perReasoningToken;
  return numerator;
}

const NO_DISCOUNT: VolumeDiscount = volumeDiscountResult(0n, 1n, '0', -1);

/**
 * Graduated tiers: tier i covers period positions above threshold_i, and the discount rate is the
 * token-weighted mean Σ nᵢ·rateᵢ / N; this returns Σ nᵢ·rateNumᵢ (over rateDen × N).
 * Token positions are counts (safe integers), not amounts; only the rates are money-grade bigints.
 */
function graduatedWeight(th: readonly number[], rateNums: readonly bigint[], before: number, after: number): bigint {
  let weighted = 0n;
  for (let i = 0; i < th.length; i++) {
    const lo = th[i]!;
    const hi = i + 1 < th.length ? th[i + 1]! : after;
    const from = before > lo ? before : lo;
    const to = after < hi ? after : hi;
    if (to > from) weighted += rateNums[i]! * BigInt(to - from);
  }
  return weighted;
}

/**
 * Step 2, volume discount on the period's cumulative tokens. `volume`: the highest tier the period
 * total including this usage reaches (≥) discounts all of it. `graduated`: the token-weighted mean
 * of the bands this usage's tokens fall in. With zero tokens the rate shown is the tier reached
 * (volume) or the band the next token would fall in (graduated), and the amount is 0.
 */
export function volumeDiscount(pricing: CompiledPricing, tokens: number, periodTokensBefore: number): VolumeDiscount {
  const plan = pricing.discount;
  if (!plan) return NO_DISCOUNT;
  const after = periodTokensBefore + tokens;
  if (!Number.isSafeInteger(after)) throw new TwinError('invalid_argument', 'periodTokensBefore + this usage exceeds 2^53 tokens.');
  const thresholds = plan.thresholds;
  if (plan.mode === 'volume' || tokens === 0) {
    // Volume: the tier the total reaches (≥). Graduated with no tokens: the band of the next token,
    // position after + 1, which is above a threshold exactly when after ≥ it.
    let tier = -1;
    for (let i = 0; i < thresholds.length; i++) if (after >= thresholds[i]!) tier = i;
    if (tier < 0) return NO_DISCOUNT;
    // One frozen result per tier, made when the table was compiled: no allocation per bill. With no
    // tokens the amount is 0 whatever the rate; the rate is shown for the reader.
    return plan.tierResults[tier]!;
  }
  // All of this usage in one band (the usual case): that band's rate over the rates' denominator,
  // made once per table, instead of Σ nᵢ·rateᵢ over rateDen × tokens (the same fraction, with
  // bigints a token count smaller in every line of the bill, and no allocation).
  const bands = plan.bandResults;
  for (let i = thresholds.length - 1; i >= 0; i--) {
    if (periodTokensBefore >= thresholds[i]!) {
      if (i + 1 === thresholds.length || after <= thresholds[i + 1]!) return bands[i]!;
      break;
    }
  }
  const weighted = graduatedWeight(thresholds, plan.rateNums, periodTokensBefore, after);
  if (weighted === 0n) return NO_DISCOUNT;
  let tier = -1;
  for (let i = 0; i < thresholds.length; i++) if (after > thresholds[i]!) tier = i;
  const rateDenominator = plan.rateDen * BigInt(tokens);
  return { rateNumerator: weighted, rateDenominator, safeRateNumerator: Number(weighted), safeRateDenominator: Number(rateDenominator), percent: formatPercent(weighted, rateDenominator), tier };
}

/** Step 3a, streaming: seconds × price/s + MB × price/MB, over `base`. */
export function streamingCharge(pricing: CompiledPricing, durationMs: bigint, bytes: bigint): bigint {
  return durationMs * pricing.perMs + bytes * pricing.perByte;
}

/**
 * Step 3b, bandwidth premium: KB above the threshold × premium/KB (nothing at or below it), over
 * `base × pricing.premiumThresholdDen`.
 */
export function bandwidthPremium(pricing: CompiledPricing, bytes: bigint): bigint {
  if (pricing.premiumThresholdNum === undefined) return 0n;
  const aboveThreshold = bytes * pricing.premiumThresholdDen - pricing.premiumThresholdNum;
  return aboveThreshold > 0n ? aboveThreshold * pricing.perBytePremium : 0n;
}

/** Step 3c, infrastructure: connections × price/connection + hours × price/hour, over `base`. */
export function infrastructureCharge(pricing: CompiledPricing, durationMs: bigint, connections: number): bigint {
  return (connections === 1 ? pricing.perConnection : BigInt(connections) * pricing.perConnection) + durationMs * pricing.perMsInfra;
}

/** An exchange rate as the fraction `numerator / denominator`, 1/1 when the bill stays in the table's currency. */
export interface ExchangeFactor {
  readonly numerator: bigint;
  readonly denominator: bigint;
  readonly applied: { from: string; to: string; rate: string } | undefined;
}

const SAME_CURRENCY: ExchangeFactor = Object.freeze({ numerator: 1n, denominator: 1n, applied: undefined });

/** The exchange rate every exact amount is multiplied by before the one rounding. */
export function exchangeFactor(config: StreamBillingConfig, rate: { to: string; rate: string } | undefined, parse: (s: string) => Rational): ExchangeFactor {
  if (!rate) return SAME_CURRENCY;
  const fx = parse(rate.rate);
  if (fx.n <= 0n) throw new TwinError('invalid_argument', 'exchangeRate.rate must be positive.');
  return { numerator: fx.n, denominator: fx.d, applied: { from: config.currency, to: rate.to, rate: rate.rate } };
}

/**
 * Whether a measured figure breaches a guarantee (`sign` −1: below the minimum, 1: above the maximum),
 * compared exactly as rationals. Measured figures repeat (a server passes the same window's SLA
 * figures to many bills), so each guarantee keeps a small verdict cache, bounded so that it cannot
 * grow with distinct inputs.
 */
function breaches(guarantee: GuaranteeVerdicts, value: string | number, limit: Rational, sign: number): boolean {
  // The same figure as this guarantee's last bill (compared by value), without the Map lookup.
  if (value === guarantee.lastFigure) return guarantee.lastVerdict;
  const cache = guarantee.breached;
  let verdict = cache.get(value);
  if (verdict === undefined) {
    verdict = compare(parseMeasurement(value), limit) === sign;
    if (cache.size >= 1024) cache.clear();
    cache.set(value, verdict);
  }
  guarantee.lastFigure = value;
  guarantee.lastVerdict = verdict;
  return verdict;
}

/**
 * Step 5, the SLA outcome: which guarantees are breached (a guarantee met exactly is not, one not
 * measured is not judged) and the capped penalty as a fraction of the subtotal over `penaltyDen`.
 */
export function slaOutcome(pricing: CompiledPricing, measured: MeasuredSla | undefined): SlaOutcome | undefined {
  const sla = pricing.sla;
  if (!sla || !measured) return undefined;
  let mask = 0;
  if (sla.uptime && measured.uptimePercent !== undefined && breaches(sla.uptime, measured.uptimePercent, sla.uptime.min, -1)) mask |= 1;
  const latency = measured.latencyMs;
  // An integer latency against the integer maximum compares exactly as numbers; anything else as rationals.
  if (sla.latency && latency !== undefined && (typeof latency === 'number' && Number.isSafeInteger(latency) ? latency > sla.latency.maxMsInt : breaches(sla.latency, latency, sla.latency.maxMs, 1))) mask |= 2;
  if (sla.bandwidth && measured.bandwidthMBps !== undefined && breaches(sla.bandwidth, measured.bandwidthMBps, sla.bandwidth.min, -1)) mask |= 4;
  return sla.outcomes[mask];
}

const NO_TAXES: CompiledPricing['taxes'] = Object.freeze([]) as unknown as CompiledPricing['taxes'];

function taxApplies(taxJurisdiction: string, customer: string | undefined): boolean {
  if (taxJurisdiction === '*') return true;
  if (customer === undefined) return false;
  return customer === taxJurisdiction || customer.startsWith(`${taxJurisdiction}-`);
}

/** Step 6's rates: those whose jurisdiction is the customer's, its parent region, or "*". */
export function applicableTaxes(pricing: CompiledPricing, jurisdiction: string | undefined): CompiledPricing['taxes'] {
  if (pricing.taxes.length === 0) return NO_TAXES;
  const applicable: CompiledPricing['taxes'] = [];
  for (const tax of pricing.taxes) if (taxApplies(tax.jurisdiction, jurisdiction)) applicable.push(tax);
  return applicable;
}
