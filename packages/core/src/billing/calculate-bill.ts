import type { BillLines, StreamBillingConfig } from '../protocol/billing';
import type { Bill, BillingContext, MeteredUsage } from './bill-types';
import { billOnNumbers } from './bill-on-numbers';
import * as steps from './bill-steps';
import { compilePricing, type CompiledPricing, type ContextTierPrices, type SlaOutcome, type VolumeDiscount } from './compile-pricing';
import { exactNumerators } from './exact-numerators';
import { makeBill } from './make-bill';
import { PricedBillLines } from './priced-bill-lines';
import { parseDecimal } from './rational';
import * as roundRational from './round-rational';
import { WrittenBill } from './written-bill';

// The steps bound once: a call through a module namespace costs a property lookup per call under
// some loaders (tsx transpiles to getters), which was a sixth of a million bills' time.
const { applicableTaxes, billableTokens, checkTokenCounts, connectionCount, contextTier, count, exchangeFactor, slaOutcome, tokenCost, volumeDiscount } = steps;
// formatUnits keeps the strings of small amounts (zero among them), so lines are written through it directly.
const { formatUnits: fmt, roundEvenQuotientToUnits } = roundRational;

const NO_TAX_LINES: BillLines['taxes'] = Object.freeze([]) as unknown as BillLines['taxes'];
// Shared by every bill without a breach (most of them); frozen, so no bill can change another's.
const NO_BREACHES: BillLines['slaBreaches'] = Object.freeze([]) as unknown as BillLines['slaBreaches'];

/**
 * Prices one stream (docs/design.md "Money", in that order): token cost; volume discount; streaming,
 * bandwidth premium and infrastructure; subtotal; SLA penalty; taxes on (subtotal − penalty), not
 * compounded; total. Every intermediate is an exact rational; amounts are rounded once, at the end,
 * to `config.rounding.minorUnits` places with `config.rounding.mode`.
 *
 * @example
 * ```ts
 * const bill = calculateBill(
 *   { usage: { inputTokens: 1200, outputTokens: 350 }, durationMs: 4_250, bytes: 18_400 },
 *   findPricing(DEFAULT_PRICING, 'openai', 'gpt-4', new Date())!,
 *   { periodTokensBefore: 0, jurisdiction: 'DE' },
 * );
 * bill.lines.total; // "0.060242": tokens 0.057 + streaming 0.001218 + infrastructure 0.0020236…, rounded once
 * ```
 */
export function calculateBill(metered: MeteredUsage, config: StreamBillingConfig, context: BillingContext = {}): Bill {
  return priceBill(metered, config, context, true);
}

/**
 * {@link calculateBill} on bigints only, never on numbers: what the number path is checked against
 * (bill-on-numbers.property.test.ts). Not part of the public API.
 */
export function calculateBillOnBigints(metered: MeteredUsage, config: StreamBillingConfig, context: BillingContext = {}): Bill {
  return priceBill(metered, config, context, false);
}

function priceBill(metered: MeteredUsage, config: StreamBillingConfig, context: BillingContext, onNumbers: boolean): Bill {
  const pricing = compilePricing(config);
  // The counts checked in place (a non-negative safe integer each; `count` throws the error for
  // one that is not): a call per count, never inlined here, was a tenth of pricing's instructions.
  const durationMs = metered.durationMs === undefined ? 0 : metered.durationMs;
  if (!(Number.isSafeInteger(durationMs) && durationMs >= 0)) count('durationMs', durationMs);
  const bytes = metered.bytes === undefined ? 0 : metered.bytes;
  if (!(Number.isSafeInteger(bytes) && bytes >= 0)) count('bytes', bytes);
  const connections = metered.connections === 1 ? 1 : connectionCount(metered.connections);
  const periodTokensBefore = context.periodTokensBefore === undefined ? 0 : context.periodTokensBefore;
  if (!(Number.isSafeInteger(periodTokensBefore) && periodTokensBefore >= 0)) count('periodTokensBefore', periodTokensBefore);
  const usage = metered.usage;
  // 1. The context-size tier whose prices price the tokens, when the input is above one.
  const tier = pricing.contextTiers.length === 0 ? undefined : contextTier(pricing, usage);
  checkTokenCounts(usage);
  const tokenCount = billableTokens(usage);
  // 2. Volume discount: the token cost × rateNumerator / rateDenominator.
  const discountRate = volumeDiscount(pricing, tokenCount, periodTokensBefore);
  const exchange = exchangeFactor(config, context.exchangeRate, parseDecimal);
  // 5. and 6.: the SLA outcome and the tax rates that apply.
  const outcome = slaOutcome(pricing, context.sla);
  const taxes = applicableTaxes(pricing, context.jurisdiction);
  // Nearly every bill fits safe integers: priced on numbers, without a bigint (bill-on-numbers.ts);
  // the rest (amounts past 2^53 units of the table's denominator, an exchange rate) on bigints.
  const safe = pricing.safe;
  if (onNumbers && safe && exchange.applied === undefined) {
    const bill = billOnNumbers(metered, config, pricing, safe, durationMs, bytes, connections, tier, discountRate, outcome, taxes, tokenCount, exchange);
    if (bill) return bill;
  }
  return billOnBigints(metered, config, pricing, durationMs, bytes, connections, tier, tokenCount, discountRate, exchange, outcome, taxes);
}

/** The bill on bigints: any table, any amounts, exchange rates. */
function billOnBigints(
  metered: MeteredUsage,
  config: StreamBillingConfig,
  pricing: CompiledPricing,
  durationMsCount: number,
  bytesCount: number,
  connections: number,
  tier: ContextTierPrices | undefined,
  tokenCount: number,
  discountRate: VolumeDiscount,
  exchange: steps.ExchangeFactor,
  outcome: SlaOutcome | undefined,
  taxes: CompiledPricing['taxes'],
): Bill {
  // 1. Token cost, over base / lift, at the context-size tier's prices when the input is above one.
  const tokens = tokenCost(tier ?? pricing, metered.usage);
  // 3.–7.: every amount as an integer numerator over one of the bill's two denominators (exact-numerators.ts).
  const e = exactNumerators(pricing, tokens, durationMsCount, bytesCount, connections, discountRate, exchange, outcome, taxes);
  const { subtotalDenominator, subtotalHalf, totalDenominator, totalHalf, discount, streaming, premium, infrastructure, subtotal, penaltyNumerator, penalty, afterPenalty } = e;
  const tokenCostAmount = e.tokenCost;
  const taxAmounts = e.taxes;

  // Rounding, once: each line is the rounded running total minus the previous rounded running total,
  // so subtotal and total are each the single rounding of their exact value and the lines sum to them.
  // (A zero line leaves the running total, and so its rounding, unchanged: the division is skipped.)
  const places = config.rounding.minorUnits;
  const mode = config.rounding.mode;
  const unitFactor = pricing.roundFactor;
  const roundedTokenCost = roundEvenQuotientToUnits(tokenCostAmount, subtotalDenominator, subtotalHalf, unitFactor, mode);
  let running = tokenCostAmount - discount;
  const roundedAfterDiscount = discount === 0n ? roundedTokenCost : roundEvenQuotientToUnits(running, subtotalDenominator, subtotalHalf, unitFactor, mode);
  running += streaming;
  const roundedAfterStreaming = streaming === 0n ? roundedAfterDiscount : roundEvenQuotientToUnits(running, subtotalDenominator, subtotalHalf, unitFactor, mode);
  running += premium;
  const roundedAfterPremium = premium === 0n ? roundedAfterStreaming : roundEvenQuotientToUnits(running, subtotalDenominator, subtotalHalf, unitFactor, mode);
  const roundedSubtotal = infrastructure === 0n ? roundedAfterPremium : roundEvenQuotientToUnits(subtotal, subtotalDenominator, subtotalHalf, unitFactor, mode);
  let previous = penalty === 0n ? roundedSubtotal : roundEvenQuotientToUnits(afterPenalty, totalDenominator, totalHalf, unitFactor, mode);
  const roundedAfterPenalty = previous;
  running = afterPenalty;
  const taxLines: BillLines['taxes'] = taxes.length === 0 ? NO_TAX_LINES : [];
  for (let i = 0; i < taxes.length; i++) {
    const tax = taxes[i]!;
    running += taxAmounts[i]!;
    const rounded = taxAmounts[i] === 0n ? previous : roundEvenQuotientToUnits(running, totalDenominator, totalHalf, unitFactor, mode);
    const line: BillLines['taxes'][number] = { jurisdiction: tax.jurisdiction, name: tax.name, ratePercent: tax.ratePercent, amount: fmt(rounded - previous, places) };
    if (tax.reverseCharge) line.reverseCharge = true;
    taxLines.push(Object.freeze(line));
    previous = rounded;
  }
  if (taxLines !== NO_TAX_LINES) Object.freeze(taxLines);
  // `previous` is the rounding of the full running sum, i.e. of the exact total.
  const roundedTotal = previous;
  const subtotalString = fmt(roundedSubtotal, places);

  // Each line in units of 10^-places, in REPORT_COST_LINES order; the strings are written from them.
  const discountUnits = roundedTokenCost - roundedAfterDiscount;
  const streamingUnits = roundedAfterStreaming - roundedAfterDiscount;
  const premiumUnits = roundedAfterPremium - roundedAfterStreaming;
  const infrastructureUnits = roundedSubtotal - roundedAfterPremium;
  const penaltyUnits = roundedSubtotal - roundedAfterPenalty;
  const tokenCostString = fmt(roundedTokenCost, places);
  const discountString = fmt(discountUnits, places);
  const streamingString = fmt(streamingUnits, places);
  const premiumString = fmt(premiumUnits, places);
  const infrastructureString = fmt(infrastructureUnits, places);
  const penaltyString = fmt(penaltyUnits, places);
  // Without a penalty or a tax the total is the subtotal: the same string, written once.
  const totalString = roundedTotal === roundedSubtotal ? subtotalString : fmt(roundedTotal, places);
  const written = new WrittenBill<bigint>(
    tokenCostString,
    discountString,
    streamingString,
    premiumString,
    infrastructureString,
    subtotalString,
    penaltyString,
    taxLines,
    totalString,
    places,
    roundedTokenCost,
    discountUnits,
    streamingUnits,
    premiumUnits,
    infrastructureUnits,
    roundedSubtotal,
    penaltyUnits,
    roundedTotal - roundedAfterPenalty,
    roundedTotal,
    undefined,
    pricing,
    tokens,
    durationMsCount,
    bytesCount,
    connections,
    discountRate,
    exchange,
    outcome,
    taxes,
  );
  const lines = new PricedBillLines(
    tokenCostString,
    discountString,
    streamingString,
    premiumString,
    infrastructureString,
    subtotalString,
    penaltyString,
    outcome && outcome.breaches.length > 0 ? (outcome.breachList.slice() as BillLines['slaBreaches']) : NO_BREACHES,
    penaltyNumerator === 0n ? '0' : outcome!.percent,
    taxLines,
    discountRate.percent,
    totalString,
    written,
  );
  return makeBill(config, exchange.applied ? exchange.applied.to : config.currency, exchange.applied, lines, written, metered.usage, tokenCount, tier, discountRate);
}
