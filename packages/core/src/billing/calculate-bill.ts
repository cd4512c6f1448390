import { TwinError } from '../errors/twin-error';
import type { BillLines, StreamBillingConfig } from '../protocol/billing';
import type { Bill, BillingContext, MeasuredSla, MeteredUsage } from './bill-types';
import { compilePricing, type CompiledPricing } from './compile-pricing';
import { ExactAmounts } from './exact-amounts';
import { compare, parseDecimal, parseMeasurement, type Rational } from './rational';
import { formatUnits, roundEvenQuotientToUnits, roundRationalToUnits } from './round-rational';

/** A count (tokens, bytes, ms) checked to be a non-negative safe integer; counts are not amounts. */
function count(name: string, value: number | undefined): number {
  if (value === undefined) return 0;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new TwinError('invalid_argument', `${name} must be a non-negative integer, got ${String(value)}.`);
  }
  return value;
}

/** The token cost numerator over `p.base` and the billable token count. */
function tokenNumerator(p: CompiledPricing, u: MeteredUsage['usage']): { n: bigint; tokens: number } {
  if (!u) return { n: 0n, tokens: 0 };
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
  if (nonCached !== 0) n += BigInt(nonCached) * p.perInputToken;
  if (cacheRead !== 0) n += BigInt(cacheRead) * p.perCacheReadToken;
  if (cacheWrite !== 0) n += BigInt(cacheWrite) * p.perCacheWriteToken;
  if (plainOutput !== 0) n += BigInt(plainOutput) * p.perOutputToken;
  if (reasoning !== 0) n += BigInt(reasoning) * p.perReasoningToken;
  return { n, tokens: input + (output > reasoning ? output : reasoning) };
}

const NO_DISCOUNT = Object.freeze({ num: 0n, den: 1n });
const NO_TAXES: CompiledPricing['taxes'] = Object.freeze([]) as unknown as CompiledPricing['taxes'];
const NO_TAX_AMOUNTS: bigint[] = Object.freeze([]) as unknown as bigint[];

/**
 * The discount for `tokens` added on top of `before` period tokens, as `num / den` of the token cost.
 * Volume: the rate of the highest tier the period total reaches (≥ threshold). Graduated: tier i
 * covers period positions above threshold_i, and the rate is the token-weighted mean, Σ nᵢ·rateᵢ / N.
 */
function discountFraction(p: CompiledPricing, before: number, tokens: number): { num: bigint; den: bigint } {
  const dsc = p.discount;
  if (!dsc || tokens === 0) return NO_DISCOUNT;
  // Token positions are counts (safe integers), not amounts; only the rates are money-grade bigints.
  const after = before + tokens;
  if (!Number.isSafeInteger(after)) throw new TwinError('invalid_argument', 'periodTokensBefore + this usage exceeds 2^53 tokens.');
  const th = dsc.thresholds;
  if (dsc.mode === 'volume') {
    let num = 0n;
    for (let i = 0; i < th.length; i++) if (after >= th[i]!) num = dsc.rateNums[i]!;
    return num === 0n ? NO_DISCOUNT : { num, den: dsc.rateDen };
  }
  let weighted = 0n;
  for (let i = 0; i < th.length; i++) {
    const lo = th[i]!;
    const hi = i + 1 < th.length ? th[i + 1]! : after;
    const from = before > lo ? before : lo;
    const to = after < hi ? after : hi;
    if (to > from) weighted += dsc.rateNums[i]! * BigInt(to - from);
  }
  return weighted === 0n ? NO_DISCOUNT : { num: weighted, den: dsc.rateDen * BigInt(tokens) };
}

function taxApplies(taxJurisdiction: string, customer: string | undefined): boolean {
  if (taxJurisdiction === '*') return true;
  if (customer === undefined) return false;
  return customer === taxJurisdiction || customer.startsWith(`${taxJurisdiction}-`);
}

// Measured figures repeat (a server passes the same window's SLA figures to many bills): a small
// cache spares the decimal parsing. Bounded so that it cannot grow with distinct inputs.
const measurementCache = new Map<string | number, Rational>();
function measured(value: string | number): Rational {
  let r = measurementCache.get(value);
  if (r === undefined) {
    r = parseMeasurement(value);
    if (measurementCache.size >= 1024) measurementCache.clear();
    measurementCache.set(value, r);
  }
  return r;
}

const NO_BREACH: { num: bigint; den: bigint; breaches: BillLines['slaBreaches'] } = Object.freeze({ num: 0n, den: 1n, breaches: [] as BillLines['slaBreaches'] });

/** The summed penalty fraction of the breached guarantees, capped; a guarantee met exactly is not breached. */
function slaPenalty(p: CompiledPricing, m: MeasuredSla | undefined): { num: bigint; den: bigint; breaches: BillLines['slaBreaches'] } {
  const sla = p.sla;
  if (!sla || !m) return NO_BREACH;
  let num = 0n;
  const breaches: BillLines['slaBreaches'] = [];
  if (sla.uptime && m.uptimePercent !== undefined && compare(measured(m.uptimePercent), sla.uptime.min) < 0) {
    breaches.push('uptime');
    num += sla.uptime.penalty;
  }
  const lat = m.latencyMs;
  // An integer latency against the integer maximum compares exactly as numbers; anything else as rationals.
  if (sla.latency && lat !== undefined && (typeof lat === 'number' && Number.isSafeInteger(lat) ? lat > sla.latency.maxMsInt : compare(measured(lat), sla.latency.maxMs) > 0)) {
    breaches.push('latency');
    num += sla.latency.penalty;
  }
  if (sla.bandwidth && m.bandwidthMBps !== undefined && compare(measured(m.bandwidthMBps), sla.bandwidth.min) < 0) {
    breaches.push('bandwidth');
    num += sla.bandwidth.penalty;
  }
  if (breaches.length === 0) return NO_BREACH;
  return { num: num > sla.maxPenalty ? sla.maxPenalty : num, den: sla.penaltyDen, breaches };
}

/** A fraction as a percent string, for display (6 places, trailing zeros trimmed); the math uses the fraction. */
function asPercent(num: bigint, den: bigint): string {
  if (num === 0n) return '0';
  const units = roundRationalToUnits({ n: num * 100n, d: den }, 6, 'half-even');
  const whole = units / 1_000_000n;
  const frac = units % 1_000_000n;
  if (frac === 0n) return whole.toString();
  return `${whole}.${frac.toString().padStart(6, '0').replace(/0+$/, '')}`;
}

const zeroStrings: string[] = [];
/** formatUnits with the (frequent) zero line cached per number of places. */
function fmt(units: bigint, places: number): string {
  if (units === 0n) return (zeroStrings[places] ??= formatUnits(0n, places));
  return formatUnits(units, places);
}

/**
 * Prices one stream (DESIGN.md §3, in that order): token cost; volume discount; streaming,
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
  //   D1 = base × T (premium threshold) × R (discount) × F (exchange rate) for the lines up to the subtotal,
  //   D2 = D1 × P (penalty) × Q (taxes) for the penalty, the taxes and the total.
  // Factors equal to 1 (the usual case) cost nothing.
  // 1. Token cost (over base).
  const tok = tokenNumerator(p, u);
  // 2. Discount fraction num/R of the token cost.
  const dsc = discountFraction(p, before, tok.tokens);
  const R = dsc.den;
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
  // Lift to D1.
  const TR = T === 1n ? R : T * R;
  const k = fxN === 1n ? TR : TR === 1n ? fxN : TR * fxN;
  // D1 and D2 below are kept divided by p.roundGcd (see CompiledPricing.roundDivisor): same fractions, smaller divisions.
  const D1 = F === 1n ? (TR === 1n ? p.roundDivisor : p.roundDivisor * TR) : p.roundDivisor * TR * F;
  const tokenCost = k === 1n ? tok.n : tok.n * k;
  let discount = 0n;
  if (dsc.num !== 0n) {
    discount = tok.n * dsc.num;
    if (T !== 1n) discount *= T;
    if (fxN !== 1n) discount *= fxN;
  }
  const streaming = k === 1n ? streamingN : streamingN * k;
  const premium = premiumN === 0n ? 0n : premiumN * R * fxN;
  const infrastructure = k === 1n ? infraN : infraN * k;
  // 4. Subtotal (over D1).
  const subtotal = tokenCost - discount + streaming + premium + infrastructure;
  // 5. SLA penalty num/P of the subtotal (cap ≤ 100%, so it never exceeds the subtotal).
  const sla = slaPenalty(p, context.sla);
  const P = sla.den;
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
  const D2 = second ? D1 * PQ : D1;
  const afterPenaltyBase = second ? subtotal * (P - sla.num) : subtotal; // (subtotal − penalty) over D1 × P
  const penalty = sla.num === 0n ? 0n : Q === 1n ? subtotal * sla.num : subtotal * sla.num * Q;
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
  // D1 (and so D2) is even: it carries the factor 36 of the unit LCM (see CompiledPricing.roundDivisor).
  const h1 = D1 >> 1n;
  const h2 = second ? D2 >> 1n : h1;
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
  const taxLines: BillLines['taxes'] = [];
  for (let i = 0; i < applicable.length; i++) {
    const t = applicable[i]!;
    running += taxes[i]!;
    const r = taxes[i] === 0n ? prev : roundEvenQuotientToUnits(running, D2, h2, scale, mode);
    const line: BillLines['taxes'][number] = { jurisdiction: t.jurisdiction, name: t.name, ratePercent: t.ratePercent, amount: fmt(r - prev, places) };
    if (t.reverseCharge) line.reverseCharge = true;
    taxLines.push(line);
    prev = r;
  }
  // `prev` is the rounding of the full running sum, i.e. of the exact total.
  const rTotal = prev;

  const lines: BillLines = {
    tokenCost: fmt(rTokenCost, places),
    discount: fmt(rTokenCost - r1, places),
    streaming: fmt(r2 - r1, places),
    bandwidthPremium: fmt(r3 - r2, places),
    infrastructure: fmt(rSubtotal - r3, places),
    subtotal: fmt(rSubtotal, places),
    slaPenalty: fmt(rSubtotal - rAfterPenalty, places),
    slaBreaches: sla.breaches.length === 0 ? [] : sla.breaches,
    slaPenaltyPercent: sla.num === 0n ? '0' : penaltyPercent(p, sla.num),
    taxes: taxLines,
    discountPercent: dsc.num === 0n ? '0' : p.discount!.mode === 'volume' ? percentOf(p, dsc.num) : asPercent(dsc.num, R),
    total: fmt(rTotal, places),
  };
  const bill: Bill = {
    currency: exchangeRate ? exchangeRate.to : config.currency,
    lines,
    exact: new ExactAmounts(D1, D2, p.roundGcd, tokenCost, discount, streaming, premium, infrastructure, subtotal, penalty, taxes, total),
    billableTokens: tok.tokens,
    usageEstimated: u?.estimated === true,
    usageMissing: !u || u.inputTokens === undefined || u.outputTokens === undefined,
  };
  if (exchangeRate) bill.exchangeRate = exchangeRate;
  if (config.id !== undefined) bill.pricingConfigId = config.id;
  return bill;
}

// Penalty percentages take few distinct values per table (sums of its guarantees, capped).
const penaltyPercents = new WeakMap<CompiledPricing, Map<bigint, string>>();
function penaltyPercent(p: CompiledPricing, num: bigint): string {
  let m = penaltyPercents.get(p);
  if (!m) penaltyPercents.set(p, (m = new Map()));
  let s = m.get(num);
  if (s === undefined) m.set(num, (s = asPercent(num, p.sla!.penaltyDen)));
  return s;
}

/** The configured percent string of a volume tier rate numerator (no arithmetic needed). */
function percentOf(p: CompiledPricing, num: bigint): string {
  const i = p.discount!.rateNums.indexOf(num);
  return i >= 0 ? p.discount!.ratesPercent[i]! : asPercent(num, p.discount!.rateDen);
}
