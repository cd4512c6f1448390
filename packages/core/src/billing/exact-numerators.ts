import { TwinError } from '../errors/twin-error';
import type { CompiledPricing, SlaOutcome, VolumeDiscount } from './compile-pricing';
import * as steps from './bill-steps';

// Bound once (a call through a module namespace is a property lookup under some loaders).
const { bandwidthPremium, infrastructureCharge, streamingCharge } = steps;

const NO_TAX_AMOUNTS: bigint[] = Object.freeze([]) as unknown as bigint[];

/**
 * A bill's exact amounts, as integer numerators over its two denominators (both divided by the
 * table's roundGcd, see CompiledPricing.roundDivisor): the lines up to the subtotal over
 * `subtotalDenominator`, the penalty, taxes and total over `totalDenominator`.
 */
export interface ExactNumerators {
  readonly subtotalDenominator: bigint;
  readonly subtotalHalf: bigint;
  readonly totalDenominator: bigint;
  readonly totalHalf: bigint;
  readonly tokenCost: bigint;
  readonly discount: bigint;
  readonly streaming: bigint;
  readonly premium: bigint;
  readonly infrastructure: bigint;
  readonly subtotal: bigint;
  readonly penaltyNumerator: bigint;
  readonly penalty: bigint;
  /** subtotal − penalty, over totalDenominator. */
  readonly afterPenalty: bigint;
  readonly taxes: readonly bigint[];
  readonly total: bigint;
}

/**
 * Steps 1 to 7 of a bill on bigints, from what the steps before them decided (calculate-bill.ts):
 * the token cost over `base / lift` (at the context tier's prices when one applied), the counts,
 * the discount rate, the exchange factor, the SLA outcome and the taxes that apply. The bigint path
 * rounds these; a bill's `exact` amounts are these, made again when they are read (written-bill.ts),
 * whichever path priced the bill: a bill priced on numbers keeps its few inputs instead of ten
 * amounts.
 */
export function exactNumerators(
  pricing: CompiledPricing,
  tokens: bigint,
  durationMsCount: number,
  bytesCount: number,
  connections: number,
  discountRate: VolumeDiscount,
  exchange: steps.ExchangeFactor,
  outcome: SlaOutcome | undefined,
  taxes: CompiledPricing['taxes'],
): ExactNumerators {
  const durationMs = BigInt(durationMsCount);
  const bytes = BigInt(bytesCount);
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
  const tokenCost = liftToSubtotal === 1n ? tokensOverBase : tokensOverBase * liftToSubtotal;
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
  const subtotal = tokenCost - discount + streaming + premium + infrastructure;
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
  return {
    subtotalDenominator,
    subtotalHalf,
    totalDenominator,
    totalHalf,
    tokenCost,
    discount,
    streaming,
    premium,
    infrastructure,
    subtotal,
    penaltyNumerator,
    penalty,
    afterPenalty,
    taxes: taxAmounts,
    total,
  };
}
