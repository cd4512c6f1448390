import type { BillLines, RoundingMode, StreamBillingConfig } from '../protocol/billing';
import type { Bill, MeteredUsage } from './bill-types';
import type { ExchangeFactor } from './bill-steps';
import type { CompiledPricing, ContextTierPrices, SafePricing, SlaOutcome, VolumeDiscount } from './compile-pricing';
import { makeBill } from './make-bill';
import { PricedBillLines } from './priced-bill-lines';
import * as roundRational from './round-rational';
import { WrittenBill } from './written-bill';

// Bound once (a call through a module namespace is a property lookup under some loaders).
const { formatSafeUnits, smallUnitStrings, SMALL_UNITS } = roundRational;

const MAX = Number.MAX_SAFE_INTEGER;
const NONE_KEPT: readonly (string | undefined)[] = [];
const NO_TAX_AMOUNTS: number[] = Object.freeze([]) as unknown as number[];
const NO_TAX_LINES: BillLines['taxes'] = Object.freeze([]) as unknown as BillLines['taxes'];
const NO_BREACHES: BillLines['slaBreaches'] = Object.freeze([]) as unknown as BillLines['slaBreaches'];

/*
 * Why this is exact. Every value below is a non-negative integer built from the table's constants
 * (safe integers, CompiledPricing.safe) and the bill's counts (safe integers) by additions and
 * multiplications, and by subtractions of values already exact (counts, constants, values checked
 * against the bound, each difference ≥ 0). For such an
 * expression, a computed result ≤ MAX_SAFE_INTEGER is the exact result: binary64 rounding is
 * monotone and 2^53 is a double, so a sum or product whose exact value is 2^53 or more comes out at
 * 2^53 or more, and stays there through every later addition or multiplication by a factor ≥ 1 (a
 * factor 0 gives 0, which is exact). So one bound check on each final value proves every step
 * inside it, and any value past the bound sends the bill to the bigint path.
 *
 * A division is the one operation that rounds inside the bound, and Math.floor of the double
 * quotient is still ⌊x / d⌋ exactly when x + d < 2^53: with k = ⌊x / d⌋, the quotient is at least k
 * (a double), and it is at least 1/d below k + 1; rounding could only reach k + 1 if that gap were
 * within half a unit in the last place of k + 1, at most (k + 1)·2^-53, i.e. if (k + 1)·d ≥ 2^53 —
 * but (k + 1)·d ≤ x + d. Each bill checks that bound once, for the largest numerator it rounds.
 */

/**
 * A bill's own copy of its SLA outcome's breach list (one to three names): an array literal, where
 * `slice()` was a call into a builtin per breached bill.
 */
function copyBreaches(list: readonly string[]): BillLines['slaBreaches'] {
  const copy = list.length === 1 ? [list[0]!] : list.length === 2 ? [list[0]!, list[1]!] : list.length === 3 ? [list[0]!, list[1]!, list[2]!] : list.slice();
  return copy as BillLines['slaBreaches'];
}

/** ⌊x / d⌋ for integers x ≥ 0, d > 0 with x + d ≤ MAX_SAFE_INTEGER (exact: see above). */
function floorDiv(x: number, d: number): number {
  return Math.floor(x / d);
}

/**
 * roundEvenQuotientToUnits on numbers: `num / d` (num ≥ 0, already times the unit factor; d even,
 * half = d / 2; num + 2d ≤ MAX_SAFE_INTEGER) rounded to an integer in `mode`.
 */
export function roundSafe(num: number, d: number, half: number, mode: RoundingMode): number {
  if (mode === 'half-up') return floorDiv(num + half, d);
  if (mode === 'down') return floorDiv(num, d);
  if (mode === 'up') return floorDiv(num + d - 1, d);
  const q = floorDiv(num, d);
  const r = num - q * d;
  return r > half || (r === half && q % 2 === 1) ? q + 1 : q;
}

/**
 * The bill of `calculateBill` (same steps, same order, same roundings: see calculate-bill.ts, whose
 * bigint path this mirrors line for line) computed on safe integers held in numbers: no bigint is
 * made. Returns the bill, or undefined when a value would pass Number.MAX_SAFE_INTEGER or the bill is one the bigint path refuses (then the caller prices it on
 * bigints, which gives the same bill whenever this one gives one: bill-on-numbers.property.test.ts).
 * The counts have been checked by the caller; the bill is in the table's currency (no exchange rate).
 */
export function billOnNumbers(
  metered: MeteredUsage,
  config: StreamBillingConfig,
  pricing: CompiledPricing,
  s: SafePricing,
  durationMs: number,
  bytes: number,
  connections: number,
  tier: ContextTierPrices | undefined,
  discountRate: VolumeDiscount,
  outcome: SlaOutcome | undefined,
  taxes: CompiledPricing['taxes'],
  tokenCount: number,
  /** The bill's exchange factor: 1/1 (a bill with an exchange rate is priced on bigints); kept for its exact amounts. */
  exchange: ExchangeFactor,
): Bill | undefined {
  // 1. Token cost over base / lift (the tier's prices are safe whenever the table's are).
  const p = tier ? tier.safe! : s;
  const usage = metered.usage;
  let tokens = 0;
  if (usage) {
    const cacheRead = usage.cacheReadTokens ?? 0;
    const cacheWrite = usage.cacheWriteTokens ?? 0;
    const output = usage.outputTokens ?? 0;
    const reasoning = usage.reasoningTokens ?? 0;
    const nonCached = (usage.inputTokens ?? 0) - cacheRead - cacheWrite;
    const plainOutput = output > reasoning ? output - reasoning : 0;
    tokens = nonCached * p.perInputToken + cacheRead * p.perCacheReadToken + cacheWrite * p.perCacheWriteToken + plainOutput * p.perOutputToken + reasoning * p.perReasoningToken;
  }
  // 2.–3. The rate of the discount, streaming, premium and infrastructure.
  const rateNumerator = discountRate.safeRateNumerator;
  const graduatedDenominator = discountRate.safeRateDenominator;
  // A graduated rate made for this bill may be past the bound (Number() of a bigint rounds up to 2^53 or more then).
  if (rateNumerator > MAX || graduatedDenominator > MAX) return undefined;
  const streamingN = durationMs * s.perMs + bytes * s.perByte;
  let premiumN = 0;
  if (s.premiumThresholdNum !== undefined) {
    const scaledBytes = bytes * s.premiumThresholdDen;
    if (scaledBytes > MAX) return undefined;
    const aboveThreshold = scaledBytes - s.premiumThresholdNum;
    if (aboveThreshold > 0) premiumN = aboveThreshold * s.perBytePremium;
  }
  const infrastructureN = connections * s.perConnection + durationMs * s.perMsInfra;

  // Over the subtotal denominator roundDivisor × premiumDenominator × graduatedDenominator (no exchange rate here).
  const premiumDenominator = s.premiumThresholdDen;
  const liftToSubtotal = premiumDenominator * graduatedDenominator;
  const lifted = liftToSubtotal !== 1;
  const subtotalDenominator = lifted ? s.roundDivisor * liftToSubtotal : s.roundDivisor;
  const tokenCostAmount = tokens * s.lift * liftToSubtotal;
  const discount = tokens * rateNumerator * premiumDenominator;
  const streaming = streamingN * liftToSubtotal;
  const premium = premiumN * graduatedDenominator;
  const infrastructure = infrastructureN * liftToSubtotal;
  // The discount bound also proves it exact (it is then at most a safe value); a discount above the
  // token cost (a rate above 100%) is left to the bigint path and its check.
  if (tokenCostAmount > MAX || discount > tokenCostAmount) return undefined;
  // 4. Subtotal: (tokenCostAmount − discount) is exact and ≥ 0, so the bound proves the rest.
  const subtotal = tokenCostAmount - discount + streaming + premium + infrastructure;
  if (subtotal > MAX) return undefined;
  // 5. SLA penalty (a cap above 100% is left to the bigint path).
  const penaltyNumerator = outcome ? outcome.safeNum : 0;
  const penaltyDenominator = penaltyNumerator === 0 ? 1 : s.penaltyDen;
  if (penaltyNumerator > penaltyDenominator) return undefined;
  // 6. Taxes on (subtotal − penalty).
  const taxDenominator = taxes.length > 0 ? s.taxDen : 1;
  const liftToTotal = penaltyDenominator * taxDenominator;
  // Denominators are even (see calculate-bill.ts): halving them is exact.
  const subtotalHalf = lifted ? subtotalDenominator / 2 : s.roundHalf;
  let totalDenominator = subtotalDenominator;
  let totalHalf = subtotalHalf;
  if (liftToTotal !== 1) {
    if (!lifted && taxDenominator === 1) {
      totalDenominator = s.roundDivisorP;
      totalHalf = s.roundHalfP;
    } else {
      totalDenominator = subtotalDenominator * liftToTotal;
      totalHalf = totalDenominator / 2;
    }
  }
  const taxableBase = liftToTotal === 1 || penaltyNumerator === 0 ? subtotal : subtotal * (penaltyDenominator - penaltyNumerator);
  const penalty = penaltyNumerator === 0 ? 0 : subtotal * penaltyNumerator * taxDenominator;
  const afterPenalty = taxableBase * taxDenominator;
  const taxAmounts: number[] = taxes.length === 0 ? NO_TAX_AMOUNTS : [];
  // 7. Total: every term is ≥ 0, so its bound proves afterPenalty and each tax.
  let total = afterPenalty;
  for (let i = 0; i < taxes.length; i++) {
    const tax = taxes[i]!;
    const amount = tax.reverseCharge ? 0 : taxableBase * tax.safeRateNum;
    taxAmounts.push(amount);
    total += amount;
  }
  if (total > MAX || penalty > MAX) return undefined;

  // Rounding. Every sum rounded over the subtotal denominator is at most max(token cost, subtotal),
  // every one over the total denominator at most the total; times the unit factor, plus twice the
  // denominator (the most a rounding adds before its division, and floorDiv's margin), within the bound.
  const unitFactor = s.roundFactor;
  const largest = tokenCostAmount > subtotal ? tokenCostAmount : subtotal;
  if (largest * unitFactor + 2 * subtotalDenominator > MAX || total * unitFactor + 2 * totalDenominator > MAX) return undefined;
  const places = config.rounding.minorUnits;
  const mode = config.rounding.mode;
  // The roundings written out, not called: ⌊(x + bias) / d⌋ (see roundSafe) for every mode but
  // half-even, which forms the remainder. A call per rounding, never inlined in this function,
  // cost more than the division. x + bias + d is within the bound checked above (bias < d).
  const evenTies = mode === 'half-even';
  const subtotalBias = mode === 'half-up' ? subtotalHalf : mode === 'up' ? subtotalDenominator - 1 : 0;
  const totalBias = mode === 'half-up' ? totalHalf : mode === 'up' ? totalDenominator - 1 : 0;
  const roundedTokenCost = evenTies
    ? roundSafe(tokenCostAmount * unitFactor, subtotalDenominator, subtotalHalf, mode)
    : Math.floor((tokenCostAmount * unitFactor + subtotalBias) / subtotalDenominator);
  let running = tokenCostAmount - discount;
  const roundedAfterDiscount =
    discount === 0
      ? roundedTokenCost
      : evenTies
        ? roundSafe(running * unitFactor, subtotalDenominator, subtotalHalf, mode)
        : Math.floor((running * unitFactor + subtotalBias) / subtotalDenominator);
  running += streaming;
  const roundedAfterStreaming =
    streaming === 0
      ? roundedAfterDiscount
      : evenTies
        ? roundSafe(running * unitFactor, subtotalDenominator, subtotalHalf, mode)
        : Math.floor((running * unitFactor + subtotalBias) / subtotalDenominator);
  running += premium;
  const roundedAfterPremium =
    premium === 0
      ? roundedAfterStreaming
      : evenTies
        ? roundSafe(running * unitFactor, subtotalDenominator, subtotalHalf, mode)
        : Math.floor((running * unitFactor + subtotalBias) / subtotalDenominator);
  const roundedSubtotal =
    infrastructure === 0
      ? roundedAfterPremium
      : evenTies
        ? roundSafe(subtotal * unitFactor, subtotalDenominator, subtotalHalf, mode)
        : Math.floor((subtotal * unitFactor + subtotalBias) / subtotalDenominator);
  let previous =
    penalty === 0
      ? roundedSubtotal
      : evenTies
        ? roundSafe(afterPenalty * unitFactor, totalDenominator, totalHalf, mode)
        : Math.floor((afterPenalty * unitFactor + totalBias) / totalDenominator);
  const roundedAfterPenalty = previous;
  running = afterPenalty;
  const taxLines: BillLines['taxes'] = taxes.length === 0 ? NO_TAX_LINES : [];
  for (let i = 0; i < taxes.length; i++) {
    const tax = taxes[i]!;
    running += taxAmounts[i]!;
    const rounded = taxAmounts[i] === 0 ? previous : roundSafe(running * unitFactor, totalDenominator, totalHalf, mode);
    const line: BillLines['taxes'][number] = { jurisdiction: tax.jurisdiction, name: tax.name, ratePercent: tax.ratePercent, amount: formatSafeUnits(rounded - previous, places) };
    if (tax.reverseCharge) line.reverseCharge = true;
    taxLines.push(Object.freeze(line));
    previous = rounded;
  }
  if (taxLines !== NO_TAX_LINES) Object.freeze(taxLines);
  const roundedTotal = previous;

  // Lines are differences of rounded running sums: each ≥ 0 (rounding is monotone), a safe integer.
  const discountUnits = roundedTokenCost - roundedAfterDiscount;
  const streamingUnits = roundedAfterStreaming - roundedAfterDiscount;
  const premiumUnits = roundedAfterPremium - roundedAfterStreaming;
  const infrastructureUnits = roundedSubtotal - roundedAfterPremium;
  const penaltyUnits = roundedSubtotal - roundedAfterPenalty;
  const taxUnits = roundedTotal - roundedAfterPenalty;
  // Each line's string: most are a few hundredths or less, whose strings are kept (`kept`, from
  // smallUnitStrings), looked up here; the rest written by formatSafeUnits. Written out per line:
  // a helper for the lookup was compiled on its own (with formatSafeUnits inlined in it) and then
  // never inlined here, a call per line.
  const kept = smallUnitStrings(places) ?? NONE_KEPT;
  const tokenCostString = (roundedTokenCost < SMALL_UNITS ? kept[roundedTokenCost] : undefined) ?? formatSafeUnits(roundedTokenCost, places);
  const discountString = (discountUnits < SMALL_UNITS ? kept[discountUnits] : undefined) ?? formatSafeUnits(discountUnits, places);
  const streamingString = (streamingUnits < SMALL_UNITS ? kept[streamingUnits] : undefined) ?? formatSafeUnits(streamingUnits, places);
  const premiumString = (premiumUnits < SMALL_UNITS ? kept[premiumUnits] : undefined) ?? formatSafeUnits(premiumUnits, places);
  const infrastructureString = (infrastructureUnits < SMALL_UNITS ? kept[infrastructureUnits] : undefined) ?? formatSafeUnits(infrastructureUnits, places);
  const subtotalString = (roundedSubtotal < SMALL_UNITS ? kept[roundedSubtotal] : undefined) ?? formatSafeUnits(roundedSubtotal, places);
  const penaltyString = (penaltyUnits < SMALL_UNITS ? kept[penaltyUnits] : undefined) ?? formatSafeUnits(penaltyUnits, places);
  // Without a penalty or a tax the total is the subtotal: the same string, written once.
  const totalString = roundedTotal === roundedSubtotal ? subtotalString : ((roundedTotal < SMALL_UNITS ? kept[roundedTotal] : undefined) ?? formatSafeUnits(roundedTotal, places));
  // What was written, and what the exact amounts are made from when read (no exact amount is kept:
  // `tokens` and the counts are exact, and the steps' results are shared objects).
  const written = new WrittenBill<number>(
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
    taxUnits,
    roundedTotal,
    // Every unit is ≥ 0 and a safe integer: their sum (exact, or past 2^53 − 1 and seen as such) bounds each.
    roundedTokenCost + discountUnits + streamingUnits + premiumUnits + infrastructureUnits + roundedSubtotal + penaltyUnits + taxUnits + roundedTotal,
    pricing,
    tokens,
    durationMs,
    bytes,
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
    outcome && outcome.breaches.length > 0 ? copyBreaches(outcome.breachList) : NO_BREACHES,
    penaltyNumerator === 0 ? '0' : outcome!.percent,
    taxLines,
    discountRate.percent,
    totalString,
    written,
  );
  return makeBill(config, config.currency, undefined, lines, written, usage, tokenCount, tier, discountRate);
}
