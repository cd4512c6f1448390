import { TwinError } from '../errors/twin-error';
import type { BillLines, StreamBillingConfig } from '../protocol/billing';
import type { Bill, BillingContext, MeasuredSla, MeteredUsage } from './bill-types';
import { compilePricing, type CompiledPricing } from './compile-pricing';
import { ExactAmounts } from './exact-amounts';
import { PricedBillLines } from './priced-bill-lines';
import { compare, parseDecimal, parseMeasurement, type Rational } from './rational';
import { formatPercent, formatUnits, roundEvenQuotientToUnits } from './round-rational';

/** A count (tokens, bytes, ms) checked to be a non-negative safe integer; counts are not amounts. */
function count(name: string, value: number | undefined): number {
  if (value === undefined) return 0;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new TwinError('invalid_argument', `${name} must be a non-negative integer, got ${String(value)}.`);
  }
  return value;
}

/**
 * The token cost numerator over `p.base / p.lift` (see CompiledPricing.lift). The billable token
 * count is left in `lastTokens` instead of a returned pair: a million bills, a million fewer objects.
 */
let lastTokens = 0;
function tokenNumerator(p: CompiledPricing, u: MeteredUsage['usage']): bigint {
  lastTokens = 0;
  if (!u) return 0n;
  const input = count('inputTokens', u.inputTokens);
  const cacheRead = count('cacheReadTokens', u.cacheReadTokens);
  const cacheWrite = count('cacheWriteTokens', u.cacheWriteTokens);
  const output = count('outputTokens', u.outputTokens);
  const reasoning = count('reasoningTokens', u.reasoningTokens);
  // Integer counts below 2^53: exact as numbers. Money starts where they meet a price (bigint).
  const nonCached = input - cacheRead - cacheWrite;
  if (nonCached < 0) {
    throw new TwinError('invalid_argument', `inputTokens (${input}) must include cacheReadTokens (${cacheRead}) and cacheWriteTokens (${cacheWrite}); see the Usage conventions.`);
  }
  if (reasoning > output && u.outputTokens !== undefined) {
    throw new TwinError('invalid_argument', `outputTokens (${output}) must include reasoningTokens (${reasoning}).`);
  }
  // Reasoning is output; when output is unknown, known reasoning tokens are still priced.
  const plainOutput = output > reasoning ? output - reasoning : 0;
  let n = 0n;
  if (nonCached !== 0) n = BigInt(nonCached) * p.perInputToken;
  if (cacheRead !== 0) n += BigInt(cacheRead) * p.perCacheReadToken;
  if (cacheWrite !== 0) n += BigInt(cacheWrite) * p.perCacheWriteToken;
  if (plainOutput !== 0) n += BigInt(plainOutput) * p.perOutputToken;
  if (reasoning !== 0) n += BigInt(reasoning) * p.perReasoningToken;
  lastTokens = input + (output > reasoning ? output : reasoning);
  return n;
}

const NO_TAXES: CompiledPricing['taxes'] = Object.freeze([]) as unknown as CompiledPricing['taxes'];
const NO_TAX_AMOUNTS: bigint[] = Object.freeze([]) as unknown as bigint[];
const NO_TAX_LINES: BillLines['taxes'] = Object.freeze([]) as unknown as BillLines['taxes'];
// Shared by every bill without a breach (most of them); frozen, so no bill can change another's.
const NO_BREACHES: BillLines['slaBreaches'] = Object.freeze([]) as unknown as BillLines['slaBreaches'];

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

function taxApplies(taxJurisdiction: string, customer: string | undefined): boolean {
  if (taxJurisdiction === '*') return true;
  if (customer === undefined) return false;
  return customer === taxJurisdiction || customer.startsWith(`${taxJurisdiction}-`);
}

/**
 * Whether a measured figure breaches a guarantee (`sign` −1: below the minimum, 1: above the maximum),
 * compared exactly as rationals. Measured figures repeat (a server passes the same window's SLA
 * figures to many bills), so each guarantee keeps a small verdict cache, bounded so that it cannot
 * grow with distinct inputs.
 */
function breaches(cache: Map<string | number, boolean>, value: string | number, limit: Rational, sign: number): boolean {
  let v = cache.get(value);
  if (v === undefined) {
    v = compare(parseMeasurement(value), limit) === sign;
    if (cache.size >= 1024) cache.clear();
    cache.set(value, v);
  }
  return v;
}

/** The bit mask of breached guarantees (1 uptime, 2 latency, 4 bandwidth); a guarantee met exactly is not breached. */
function slaBreachMask(sla: NonNullable<CompiledPricing['sla']>, m: MeasuredSla): number {
  let mask = 0;
  if (sla.uptime && m.uptimePercent !== undefined && breaches(sla.uptime.breached, m.uptimePercent, sla.uptime.min, -1)) mask |= 1;
  const lat = m.latencyMs;
  // An integer latency against the integer maximum compares exactly as numbers; anything else as rationals.
  if (sla.latency && lat !== undefined && (typeof lat === 'number' && Number.isSafeInteger(lat) ? lat > sla.latency.maxMsInt : breaches(sla.latency.breached, lat, sla.latency.maxMs, 1))) mask |= 2;
  if (sla.bandwidth && m.bandwidthMBps !== undefined && breaches(sla.bandwidth.breached, m.bandwidthMBps, sla.bandwidth.min, -1)) mask |= 4;
  return mask;
}

const zeroStrings: string[] = [];
/** formatUnits with the (frequent) zero line cached per number of places. */
function fmt(units: bigint, places: number): string {
  if (units === 0n) return (zeroStrings[places] ??= formatUnits(0n, places));
  return formatUnits(units, places);
}

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
  const p = compilePricing(config);
  const u = metered.usage;
  const ms = BigInt(count('durationMs', metered.durationMs));
  const bytes = BigInt(count('bytes', metered.bytes));
  const connections = metered.connections === undefined || metered.connections === 1 ? 1n : BigInt(count('connections', metered.connections));
  const before = count('periodTokensBefore', context.periodTokensBefore ?? 0);

  // Every amount is an integer numerator over a shared denominator, built up step by step, so each
  // step is exact and each line's rounding is one division:
  //   D1 = base × T (premium threshold) × R (graduated discount) × F (exchange rate) for the lines up to the subtotal,
  //   D2 = D1 × P (penalty) × Q (taxes) for the penalty, the taxes and the total.
  // Factors equal to 1 (the usual case) cost nothing; a volume discount's denominator is already in
  // `base` (CompiledPricing.lift), so only graduated tiers make R differ from 1.
  // 1. Token cost (over base / lift).
  const tokens0 = tokenNumerator(p, u);
  const tokenCount = lastTokens;
  // 2. Discount: dscNum × tokens0 over D1 (before the lifts T and F): the tier rate × the token cost.
  let dscNum = 0n;
  let R = 1n;
  let discountPercent = '0';
  const dsc = p.discount;
  if (dsc && tokenCount !== 0) {
    const after = before + tokenCount;
    if (!Number.isSafeInteger(after)) throw new TwinError('invalid_argument', 'periodTokensBefore + this usage exceeds 2^53 tokens.');
    const th = dsc.thresholds;
    if (dsc.mode === 'volume') {
      // The highest tier the period total including this usage reaches (≥ threshold); rate rateNum / lift.
      let tier = -1;
      for (let i = 0; i < th.length; i++) if (after >= th[i]!) tier = i;
      if (tier >= 0 && dsc.rateNums[tier] !== 0n) {
        dscNum = dsc.rateNums[tier]!;
        discountPercent = dsc.ratesPercent[tier]!;
      }
    } else {
      const weighted = graduatedWeight(th, dsc.rateNums, before, after);
      if (weighted !== 0n) {
        // Rate weighted / (rateDen × N): the token cost over base becomes tokens0 × weighted over base × R.
        R = dsc.rateDen * BigInt(tokenCount);
        dscNum = weighted;
        discountPercent = formatPercent(weighted, R);
      }
    }
  }
  // 3. Streaming and infrastructure over base; premium over base × T.
  const T = p.premiumThresholdDen;
  const streamingN = ms * p.perMs + bytes * p.perByte;
  const infraN = (connections === 1n ? p.perConnection : connections * p.perConnection) + ms * p.perMsInfra;
  let premiumN = 0n;
  if (p.premiumThresholdNum !== undefined) {
    const aboveN = bytes * T - p.premiumThresholdNum;
    if (aboveN > 0n) premiumN = aboveN * p.perBytePremium;
  }
  // Exchange rate fxN/F: every exact amount is converted before the one rounding.
  let fxN = 1n;
  let F = 1n;
  let exchangeRate: Bill['exchangeRate'];
  if (context.exchangeRate) {
    const fx = parseDecimal(context.exchangeRate.rate);
    if (fx.n <= 0n) throw new TwinError('invalid_argument', 'exchangeRate.rate must be positive.');
    fxN = fx.n;
    F = fx.d;
    exchangeRate = { from: config.currency, to: context.exchangeRate.to, rate: context.exchangeRate.rate };
  }
  // Lift to D1 (k = T × R × fxN; 1 in the usual case).
  const TR = T === 1n ? R : T * R;
  const k = fxN === 1n ? TR : TR === 1n ? fxN : TR * fxN;
  // D1 and D2 below are kept divided by p.roundGcd (see CompiledPricing.roundDivisor): same fractions, smaller divisions.
  const lifted = k !== 1n || F !== 1n;
  const D1 = lifted ? p.roundDivisor * TR * F : p.roundDivisor;
  const tokensL = p.lift === 1n ? tokens0 : tokens0 * p.lift;
  const tokenCost = k === 1n ? tokensL : tokensL * k;
  let discount = 0n;
  if (dscNum !== 0n) {
    // tokens0 / (base / lift) × dscNum / (lift or R): over D1 that is tokens0 × dscNum × T × fxN.
    discount = tokens0 * dscNum;
    if (T !== 1n) discount *= T;
    if (fxN !== 1n) discount *= fxN;
  }
  const streaming = k === 1n ? streamingN : streamingN * k;
  const premium = premiumN === 0n ? 0n : premiumN * R * fxN;
  const infrastructure = k === 1n ? infraN : infraN * k;
  // 4. Subtotal (over D1).
  const subtotal = tokenCost - discount + streaming + premium + infrastructure;
  // 5. SLA penalty num/P of the subtotal (cap ≤ 100%, so it never exceeds the subtotal).
  const slaP = p.sla;
  const outcome = slaP && context.sla ? slaP.outcomes[slaBreachMask(slaP, context.sla)]! : undefined;
  const penaltyNum = outcome ? outcome.num : 0n;
  const P = penaltyNum === 0n ? 1n : slaP!.penaltyDen;
  // 6. Taxes on (subtotal − penalty), each rate num/Q on the same base, not compounded.
  let applicable: CompiledPricing['taxes'] = NO_TAXES;
  if (p.taxes.length > 0) {
    applicable = [];
    for (const t of p.taxes) if (taxApplies(t.jurisdiction, context.jurisdiction)) applicable.push(t);
  }
  const Q = applicable.length > 0 ? p.taxDen : 1n;
  // Lift to D2 (only when there is a penalty or a tax).
  const second = P !== 1n || Q !== 1n;
  const PQ = Q === 1n ? P : P * Q;
  // D1 is even (it carries the factor 36 of the unit LCM, see CompiledPricing.roundDivisor), so D2 is too.
  const h1 = lifted ? D1 >> 1n : p.roundHalf;
  let D2 = D1;
  let h2 = h1;
  if (second) {
    if (!lifted && Q === 1n) {
      D2 = slaP!.roundDivisorP;
      h2 = slaP!.roundHalfP;
    } else {
      D2 = D1 * PQ;
      h2 = D2 >> 1n;
    }
  }
  const afterPenaltyBase = second ? (penaltyNum === 0n ? subtotal : subtotal * (P - penaltyNum)) : subtotal; // (subtotal − penalty) over D1 × P
  const penalty = penaltyNum === 0n ? 0n : Q === 1n ? subtotal * penaltyNum : subtotal * penaltyNum * Q;
  const afterPenalty = Q === 1n ? afterPenaltyBase : afterPenaltyBase * Q;
  const taxes: bigint[] = applicable.length === 0 ? NO_TAX_AMOUNTS : [];
  let total = afterPenalty;
  for (let i = 0; i < applicable.length; i++) {
    const t = applicable[i]!;
    const amount = t.reverseCharge ? 0n : afterPenaltyBase * t.rateNum;
    taxes.push(amount);
    total += amount;
  }
  // 7. Never below zero: holds by construction (discount ≤ 100%, penalty cap ≤ 100%, taxes ≥ 0).
  if (total < 0n) throw new TwinError('internal', 'A bill total came out negative; the price table must be invalid.');

  // Rounding, once: each line is the rounded running total minus the previous rounded running total,
  // so subtotal and total are each the single rounding of their exact value and the lines sum to them.
  // (A zero line leaves the running total, and so its rounding, unchanged: the division is skipped.)
  const places = config.rounding.minorUnits;
  const mode = config.rounding.mode;
  const scale = p.roundFactor;
  const rTokenCost = roundEvenQuotientToUnits(tokenCost, D1, h1, scale, mode);
  let running = tokenCost - discount;
  const r1 = discount === 0n ? rTokenCost : roundEvenQuotientToUnits(running, D1, h1, scale, mode);
  running += streaming;
  const r2 = streaming === 0n ? r1 : roundEvenQuotientToUnits(running, D1, h1, scale, mode);
  running += premium;
  const r3 = premium === 0n ? r2 : roundEvenQuotientToUnits(running, D1, h1, scale, mode);
  const rSubtotal = infrastructure === 0n ? r3 : roundEvenQuotientToUnits(subtotal, D1, h1, scale, mode);
  let prev = penalty === 0n ? rSubtotal : roundEvenQuotientToUnits(afterPenalty, D2, h2, scale, mode);
  const rAfterPenalty = prev;
  running = afterPenalty;
  const taxLines: BillLines['taxes'] = applicable.length === 0 ? NO_TAX_LINES : [];
  for (let i = 0; i < applicable.length; i++) {
    const t = applicable[i]!;
    running += taxes[i]!;
    const r = taxes[i] === 0n ? prev : roundEvenQuotientToUnits(running, D2, h2, scale, mode);
    const line: BillLines['taxes'][number] = { jurisdiction: t.jurisdiction, name: t.name, ratePercent: t.ratePercent, amount: fmt(r - prev, places) };
    if (t.reverseCharge) line.reverseCharge = true;
    taxLines.push(Object.freeze(line));
    prev = r;
  }
  if (taxLines !== NO_TAX_LINES) Object.freeze(taxLines);
  // `prev` is the rounding of the full running sum, i.e. of the exact total.
  const rTotal = prev;
  const subtotalString = fmt(rSubtotal, places);

  // Each line in units of 10^-places, in REPORT_COST_LINES order; the strings are written from them.
  const discountU = rTokenCost - r1;
  const streamingU = r2 - r1;
  const premiumU = r3 - r2;
  const infrastructureU = rSubtotal - r3;
  const penaltyU = rSubtotal - rAfterPenalty;
  const lines = new PricedBillLines(
    fmt(rTokenCost, places),
    fmt(discountU, places),
    fmt(streamingU, places),
    fmt(premiumU, places),
    fmt(infrastructureU, places),
    subtotalString,
    fmt(penaltyU, places),
    outcome && outcome.breaches.length > 0 ? (outcome.breaches.slice() as BillLines['slaBreaches']) : NO_BREACHES,
    penaltyNum === 0n ? '0' : outcome!.percent,
    taxLines,
    discountPercent,
    // Without a penalty or a tax the total is the subtotal: the same string, written once.
    rTotal === rSubtotal ? subtotalString : fmt(rTotal, places),
    [rTokenCost, discountU, streamingU, premiumU, infrastructureU, rSubtotal, penaltyU, rTotal - rAfterPenalty, rTotal],
    places,
  );
  const bill: Bill = {
    currency: exchangeRate ? exchangeRate.to : config.currency,
    lines,
    exact: new ExactAmounts(D1, D2, p.roundGcd, tokenCost, discount, streaming, premium, infrastructure, subtotal, penalty, taxes, total),
    billableTokens: tokenCount,
    usageEstimated: u?.estimated === true,
    usageMissing: !u || u.inputTokens === undefined || u.outputTokens === undefined,
  };
  if (exchangeRate) bill.exchangeRate = exchangeRate;
  if (config.id !== undefined) bill.pricingConfigId = config.id;
  return bill;
}
