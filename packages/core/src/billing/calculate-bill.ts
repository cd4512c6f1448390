import { TwinError } from '../errors/twin-error';
import type { BillLines, StreamBillingConfig } from '../protocol/billing';
import type { Bill, BillingContext, MeteredUsage } from './bill-types';
import { billOnNumbers } from './bill-on-numbers';
import * as steps from './bill-steps';
import { compilePricing, type CompiledPricing, type ContextTierPrices, type SlaOutcome, type VolumeDiscount } from './compile-pricing';
import { ExactAmounts } from './exact-amounts';
import { makeBill } from './make-bill';
import { PricedBillLines } from './priced-bill-lines';
import { parseDecimal } from './rational';
import * as roundRational from './round-rational';

// The steps bound once: a call through a module namespace costs a property lookup per call under
// some loaders (tsx transpiles to getters), which was a sixth of a million bills' time.
const { applicableTaxes, bandwidthPremium, billableTokens, checkTokenCounts, connectionCount, contextTier, count, exchangeFactor, infrastructureCharge, slaOutcome, streamingCharge, tokenCost, volumeDiscount } = steps;
// formatUnits keeps the strings of small amounts (zero among them), so lines are written through it directly.
const { formatUnits: fmt, roundEvenQuotientToUnits } = roundRational;

const NO_TAX_AMOUNTS: bigint[] = Object.freeze([]) as unknown as bigint[];
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
    const bill = billOnNumbers(metered, config, pricing, safe, durationMs, bytes, connections, tier, discountRate, outcome, taxes, tokenCount);
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
  const durationMs = BigInt(durationMsCount);
  const bytes = BigInt(bytesCount);
  // 1. Token cost, over base / lift, at the context-size tier's prices when the input is above one.
  const tokens = tokenCost(tier ?? pricing, metered.usage);
  // 3. Streaming and infrastructure over base, the bandwidth premium over base × premiumDenominator.
  const streamingN = streamingCharge(pricing, durationMs, bytes);
  const premiumN = bandwidthPremium(pricing, bytes);
  const infrastructureN = infrastructureCharge(pricing, durationMs, connections);

  // Every line up to the subtotal is an integer numerator over one shared denominator,
  //   subtotalDenominator = base × premiumDenominator × graduatedDenominator × exchangeDenominator,
  // and the penalty, taxes and total over
  //   totalDenominator = subtotalDenominator × penaltyDenominator × taxDenominator,
  // so each step is exact and each line's rounding is one division. Factors equal to 1 (the usual
  // case) cost nothing; a volume discount's denominator is already in `base` (CompiledPricing.lift),
  // so only graduated tiers make graduatedDenominator differ from 1. Both denominators are kept
  // divided by pricing.roundGcd (see CompiledPricing.roundDivisor): same fractions, smaller divisions.
  const premiumDenominator = pricing.premiumThresholdDen;
  const graduatedDenominator = discountRate.rateDenominator;
  const exchangeNumerator = exchange.numerator;
  const premiumAndGraduated = premiumDenominator === 1n ? graduatedDenominator : premiumDenominator * graduatedDenominator;
  // What an amount over `base` is multiplied by to be over the subtotal denominator.
  const liftToSubtotal = exchangeNumerator === 1n ? premiumAndGraduated : premiumAndGraduated === 1n ? exchangeNumerator : premiumAndGraduated * exchangeNumerator;
  const lifted = liftToSubtotal !== 1n || exchange.denominator !== 1n;
  const subtotalDenominator = lifted ? pricing.roundDivisor * premiumAndGraduated * exchange.denominator : pricing.roundDivisor;
  const tokensOverBase = pricing.lift === 1n ? tokens : tokens * pricing.lift;
  const tokenCostAmount = liftToSubtotal === 1n ? tokensOverBase : tokensOverBase * liftToSubtotal;
  let discount = 0n;
  if (discountRate.rateNumerator !== 0n) {
    // tokens / (base / lift) × rateNumerator / (lift or graduatedDenominator): over the subtotal
    // denominator that is tokens × rateNumerator × premiumDenominator × exchangeNumerator.
    discount = tokens * discountRate.rateNumerator;
    if (premiumDenominator !== 1n) discount *= premiumDenominator;
    if (exchangeNumerator !== 1n) discount *= exchangeNumerator;
  }
  const streaming = liftToSubtotal === 1n ? streamingN : streamingN * liftToSubtotal;
  const premium = premiumN === 0n ? 0n : premiumN * graduatedDenominator * exchangeNumerator;
  const infrastructure = liftToSubtotal === 1n ? infrastructureN : infrastructureN * liftToSubtotal;
  // 4. Subtotal.
  const subtotal = tokenCostAmount - discount + streaming + premium + infrastructure;
  // 5. SLA penalty: penaltyNumerator / penaltyDenominator of the subtotal (cap ≤ 100%, never above it).
  const penaltyNumerator = outcome ? outcome.num : 0n;
  const penaltyDenominator = penaltyNumerator === 0n ? 1n : pricing.sla!.penaltyDen;
  // 6. Taxes on (subtotal − penalty), each rate rateNum / taxDenominator on the same base, not compounded.
  const taxDenominator = taxes.length > 0 ? pricing.taxDen : 1n;
  const liftToTotal = taxDenominator === 1n ? penaltyDenominator : penaltyDenominator * taxDenominator;
  // The subtotal denominator is even (it carries the factor 36 of the unit LCM, see
  // CompiledPricing.roundDivisor), so the total denominator is too, and halving them is exact.
  const subtotalHalf = lifted ? subtotalDenominator >> 1n : pricing.roundHalf;
  let totalDenominator = subtotalDenominator;
  let totalHalf = subtotalHalf;
  if (liftToTotal !== 1n) {
    if (!lifted && taxDenominator === 1n) {
      totalDenominator = pricing.sla!.roundDivisorP;
      totalHalf = pricing.sla!.roundHalfP;
    } else {
      totalDenominator = subtotalDenominator * liftToTotal;
      totalHalf = totalDenominator >> 1n;
    }
  }
  // (subtotal − penalty) over subtotalDenominator × penaltyDenominator: the taxable base.
  const taxableBase = liftToTotal === 1n || penaltyNumerator === 0n ? subtotal : subtotal * (penaltyDenominator - penaltyNumerator);
  const penalty = penaltyNumerator === 0n ? 0n : taxDenominator === 1n ? subtotal * penaltyNumerator : subtotal * penaltyNumerator * taxDenominator;
  const afterPenalty = taxDenominator === 1n ? taxableBase : taxableBase * taxDenominator;
  const taxAmounts: bigint[] = taxes.length === 0 ? NO_TAX_AMOUNTS : [];
  // 7. Total = subtotal − penalty + taxes.
  let total = afterPenalty;
  for (let i = 0; i < taxes.length; i++) {
    const tax = taxes[i]!;
    const amount = tax.reverseCharge ? 0n : taxableBase * tax.rateNum;
    taxAmounts.push(amount);
    total += amount;
  }
  // Never below zero: holds by construction (discount ≤ 100%, penalty cap ≤ 100%, taxes ≥ 0).
  if (total < 0n) throw new TwinError('internal', 'A bill total came out negative; the price table must be invalid.');

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
  const lines = new PricedBillLines(
    fmt(roundedTokenCost, places),
    fmt(discountUnits, places),
    fmt(streamingUnits, places),
    fmt(premiumUnits, places),
    fmt(infrastructureUnits, places),
    subtotalString,
    fmt(penaltyUnits, places),
    outcome && outcome.breaches.length > 0 ? (outcome.breachList.slice() as BillLines['slaBreaches']) : NO_BREACHES,
    penaltyNumerator === 0n ? '0' : outcome!.percent,
    taxLines,
    discountRate.percent,
    // Without a penalty or a tax the total is the subtotal: the same string, written once.
    roundedTotal === roundedSubtotal ? subtotalString : fmt(roundedTotal, places),
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
  );
  const exact = new ExactAmounts(pricing.roundGcd, [subtotalDenominator, totalDenominator, tokenCostAmount, discount, streaming, premium, infrastructure, subtotal, penalty, total], taxAmounts);
  return makeBill(config, exchange.applied ? exchange.applied.to : config.currency, exchange.applied, lines, exact, metered.usage, tokenCount, tier, discountRate);
}
