import { TwinError } from '../errors/twin-error';
import type { BillLines, StreamBillingConfig } from '../protocol/billing';
import type { Usage } from '../protocol/usage';
import { compilePricing, type CompiledPricing } from './compile-pricing';
import { add, compare, min, mul, parseDecimal, parseMeasurement, sub, ZERO, type Rational } from './rational';
import { formatUnits, roundRational, roundRationalToUnits } from './round-rational';

/** What one stream consumed, as the calculator prices it (built by {@link meterStream}). */
export interface MeteredUsage {
  /** Token usage. A field that is `undefined` is unknown (never read as 0 silently: see the flags). */
  usage?: Pick<Usage, 'inputTokens' | 'cacheReadTokens' | 'cacheWriteTokens' | 'outputTokens' | 'reasoningTokens' | 'estimated'>;
  /** Wall time the stream was open, in milliseconds (integer). */
  durationMs: number;
  /** Bytes written to the client (integer). */
  bytes: number;
  /** SSE connections used (1 + reconnects). Default 1. */
  connections?: number;
}

/** Measured service levels for the SLA check. Unmeasured guarantees are not judged (never breached). */
export interface MeasuredSla {
  /** Measured uptime in percent, e.g. "99.2" or 99.2. */
  uptimePercent?: string | number;
  /** Measured latency in ms at the percentile the config declares. */
  latencyMs?: string | number;
  /** Measured bandwidth in MB/s (1 MB = 1,000,000 bytes). */
  bandwidthMBps?: string | number;
}

/** Everything besides the stream itself that the bill depends on. */
export interface BillingContext {
  /** The customer's tokens in the billing period BEFORE this usage (default 0). */
  periodTokensBefore?: number;
  sla?: MeasuredSla;
  /** The customer's tax jurisdiction ("DE", "CA-BC"). Without one, only "*" rates apply. */
  jurisdiction?: string;
  /** Issue the bill in another currency: every exact amount is multiplied by `rate` before rounding. */
  exchangeRate?: { to: string; rate: string };
}

/** Exact (unrounded) values of a bill, for callers that keep summing before they round. */
export interface ExactBill {
  tokenCost: Rational;
  discount: Rational;
  streaming: Rational;
  bandwidthPremium: Rational;
  infrastructure: Rational;
  subtotal: Rational;
  slaPenalty: Rational;
  taxes: Rational[];
  total: Rational;
}

/** An itemised bill for one stream. */
export interface Bill {
  currency: string;
  /** Rounded lines; they sum exactly to `subtotal` and `total` (see `docs/billing.md`, "Rounding"). */
  lines: BillLines;
  exact: ExactBill;
  /** Tokens this usage adds to the period total (input incl. cache + output incl. reasoning). */
  billableTokens: number;
  /** The counts came from a local tokenizer, not the provider. */
  usageEstimated: boolean;
  /** Input or output tokens were unknown; the unknown part is not priced. */
  usageMissing: boolean;
  exchangeRate?: { from: string; to: string; rate: string };
  pricingConfigId?: string;
}

function count(name: string, value: number | undefined): bigint {
  if (value === undefined) return 0n;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new TwinError('invalid_argument', `${name} must be a non-negative integer, got ${String(value)}.`);
  }
  return BigInt(value);
}

/** The token cost numerator over `p.base` and the billable token count. */
function tokenNumerator(p: CompiledPricing, u: MeteredUsage['usage']): { n: bigint; tokens: bigint } {
  if (!u) return { n: 0n, tokens: 0n };
  const input = count('inputTokens', u.inputTokens);
  const cacheRead = count('cacheReadTokens', u.cacheReadTokens);
  const cacheWrite = count('cacheWriteTokens', u.cacheWriteTokens);
  const output = count('outputTokens', u.outputTokens);
  const reasoning = count('reasoningTokens', u.reasoningTokens);
  const nonCached = input - cacheRead - cacheWrite;
  if (nonCached < 0n) {
    throw new TwinError('invalid_argument', `inputTokens (${input}) must include cacheReadTokens (${cacheRead}) and cacheWriteTokens (${cacheWrite}); see the Usage conventions.`);
  }
  if (reasoning > output && u.outputTokens !== undefined) {
    throw new TwinError('invalid_argument', `outputTokens (${output}) must include reasoningTokens (${reasoning}).`);
  }
  // Reasoning is output; when output is unknown, known reasoning tokens are still priced.
  const plainOutput = output > reasoning ? output - reasoning : 0n;
  const n =
    nonCached * p.perInputToken +
    cacheRead * p.perCacheReadToken +
    cacheWrite * p.perCacheWriteToken +
    plainOutput * p.perOutputToken +
    reasoning * p.perReasoningToken;
  return { n, tokens: input + (output > reasoning ? output : reasoning) };
}

/** The discount rate (as a fraction) for `tokens` added on top of `before` period tokens. */
function discountRate(p: CompiledPricing, before: bigint, tokens: bigint): Rational {
  const dsc = p.discount;
  if (!dsc || tokens === 0n) return ZERO;
  const after = before + tokens;
  if (dsc.mode === 'volume') {
    let rate = ZERO;
    for (let i = 0; i < dsc.thresholds.length; i++) if (after >= BigInt(dsc.thresholds[i]!)) rate = dsc.rates[i]!;
    return rate;
  }
  // Graduated: tokens at period positions (before, after]; tier i covers positions > threshold_i.
  let weighted: Rational = ZERO;
  for (let i = 0; i < dsc.thresholds.length; i++) {
    const lo = BigInt(dsc.thresholds[i]!);
    const hi = i + 1 < dsc.thresholds.length ? BigInt(dsc.thresholds[i + 1]!) : after;
    const from = before > lo ? before : lo;
    const to = after < hi ? after : hi;
    if (to > from) weighted = add(weighted, { n: dsc.rates[i]!.n * (to - from), d: dsc.rates[i]!.d });
  }
  return { n: weighted.n, d: weighted.d * tokens };
}

function taxApplies(taxJurisdiction: string, customer: string | undefined): boolean {
  if (taxJurisdiction === '*') return true;
  if (customer === undefined) return false;
  return customer === taxJurisdiction || customer.startsWith(`${taxJurisdiction}-`);
}

/** Sums of the SLA penalties of breached guarantees, capped. */
function slaPenalty(p: CompiledPricing, measured: MeasuredSla | undefined): { rate: Rational; breaches: BillLines['slaBreaches'] } {
  const sla = p.sla;
  const breaches: BillLines['slaBreaches'] = [];
  if (!sla || !measured) return { rate: ZERO, breaches };
  let rate: Rational = ZERO;
  if (sla.uptime && measured.uptimePercent !== undefined && compare(parseMeasurement(measured.uptimePercent), sla.uptime.min) < 0) {
    breaches.push('uptime');
    rate = add(rate, sla.uptime.penalty);
  }
  if (sla.latency && measured.latencyMs !== undefined && compare(parseMeasurement(measured.latencyMs), sla.latency.maxMs) > 0) {
    breaches.push('latency');
    rate = add(rate, sla.latency.penalty);
  }
  if (sla.bandwidth && measured.bandwidthMBps !== undefined && compare(parseMeasurement(measured.bandwidthMBps), sla.bandwidth.min) < 0) {
    breaches.push('bandwidth');
    rate = add(rate, sla.bandwidth.penalty);
  }
  return { rate: min(rate, sla.maxPenalty), breaches };
}

/** Percent form of a fraction, rounded to 6 places for display (the math uses the exact fraction). */
function asPercent(rate: Rational): string {
  return roundRational({ n: rate.n * 100n, d: rate.d }, 6, 'half-even').replace(/\.?0+$/, '') || '0';
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
 * bill.lines.total; // "0.059875" …exact decimal string
 * ```
 */
export function calculateBill(metered: MeteredUsage, config: StreamBillingConfig, context: BillingContext = {}): Bill {
  const p = compilePricing(config);
  const base = p.base;
  const u = metered.usage;
  const ms = count('durationMs', metered.durationMs);
  const bytes = count('bytes', metered.bytes);
  const connections = count('connections', metered.connections ?? 1);
  const before = count('periodTokensBefore', context.periodTokensBefore ?? 0);

  // 1. Token cost.
  const tok = tokenNumerator(p, u);
  const tokenCost: Rational = { n: tok.n, d: base };
  // 2. Volume discount on the token cost.
  const rate = discountRate(p, before, tok.tokens);
  const discount: Rational = rate.n === 0n ? { n: 0n, d: base } : mul(tokenCost, rate);
  // 3. Streaming, bandwidth premium, infrastructure (all over the shared denominator).
  const streaming: Rational = { n: ms * p.perMs + bytes * p.perByte, d: base };
  let premium: Rational = { n: 0n, d: base };
  if (p.premiumThresholdBytes) {
    const above = sub({ n: bytes, d: 1n }, p.premiumThresholdBytes);
    if (above.n > 0n) premium = { n: above.n * p.perBytePremium, d: above.d * base };
  }
  const infrastructure: Rational = { n: connections * p.perConnection + ms * p.perMsInfra, d: base };
  // 4. Subtotal.
  const subtotal = sub(add({ n: tokenCost.n + streaming.n + infrastructure.n, d: base }, premium), discount);
  // 5. SLA penalty on the subtotal (cap ≤ 100%, so the penalty never exceeds the subtotal).
  const sla = slaPenalty(p, context.sla);
  const slaPenaltyAmount = sla.rate.n === 0n ? ZERO : mul(subtotal, sla.rate);
  // 6. Taxes on (subtotal − penalty), each on the same base, not compounded.
  const taxBase = sub(subtotal, slaPenaltyAmount);
  const applicable = p.taxes.filter((t) => taxApplies(t.jurisdiction, context.jurisdiction));
  const taxes = applicable.map((t) => (t.reverseCharge || t.rate.n === 0n ? ZERO : mul(taxBase, t.rate)));
  // 7. Total, never below zero (holds by construction: discount ≤ 100%, penalty cap ≤ 100%, taxes ≥ 0).
  let total = taxBase;
  for (const t of taxes) total = add(total, t);
  if (total.n < 0n) throw new TwinError('internal', 'A bill total came out negative; the price table must be invalid.');

  // Currency conversion of the exact amounts, before the one rounding.
  let fx: Rational | undefined;
  let exchangeRate: Bill['exchangeRate'];
  if (context.exchangeRate) {
    fx = parseDecimal(context.exchangeRate.rate);
    if (fx.n <= 0n) throw new TwinError('invalid_argument', 'exchangeRate.rate must be positive.');
    exchangeRate = { from: config.currency, to: context.exchangeRate.to, rate: context.exchangeRate.rate };
  }
  const conv = (r: Rational): Rational => (fx ? mul(r, fx) : r);
  const exact: ExactBill = {
    tokenCost: conv(tokenCost),
    discount: conv(discount),
    streaming: conv(streaming),
    bandwidthPremium: conv(premium),
    infrastructure: conv(infrastructure),
    subtotal: conv(subtotal),
    slaPenalty: conv(slaPenaltyAmount),
    taxes: taxes.map(conv),
    total: conv(total),
  };

  // Rounding, once: each line is the rounded running total minus the previous rounded running total,
  // so subtotal and total are each the single rounding of their exact value and the lines sum to them.
  const places = config.rounding.minorUnits;
  const mode = config.rounding.mode;
  const round = (r: Rational): bigint => roundRationalToUnits(r, places, mode);
  const fmt = (units: bigint): string => formatUnits(units, places);
  let running: Rational = exact.tokenCost;
  const rTokenCost = round(running);
  running = sub(running, exact.discount);
  const r1 = round(running);
  running = add(running, exact.streaming);
  const r2 = round(running);
  running = add(running, exact.bandwidthPremium);
  const r3 = round(running);
  const rSubtotal = round(exact.subtotal);
  running = sub(exact.subtotal, exact.slaPenalty);
  const r5 = round(running);
  const taxUnits: bigint[] = [];
  let prev = r5;
  for (const t of exact.taxes) {
    running = add(running, t);
    const r = round(running);
    taxUnits.push(r - prev);
    prev = r;
  }
  // `prev` is the rounding of the full running sum, i.e. of the exact total.
  const rTotal = prev;

  const lines: BillLines = {
    tokenCost: fmt(rTokenCost),
    discount: fmt(rTokenCost - r1),
    streaming: fmt(r2 - r1),
    bandwidthPremium: fmt(r3 - r2),
    infrastructure: fmt(rSubtotal - r3),
    subtotal: fmt(rSubtotal),
    slaPenalty: fmt(rSubtotal - r5),
    slaBreaches: sla.breaches,
    slaPenaltyPercent: asPercent(sla.rate),
    taxes: applicable.map((t, i) => ({
      jurisdiction: t.jurisdiction,
      name: t.name,
      ratePercent: t.ratePercent,
      amount: fmt(taxUnits[i]!),
      ...(t.reverseCharge ? { reverseCharge: true } : {}),
    })),
    discountPercent: asPercent(rate),
    total: fmt(rTotal),
  };
  const usageMissing = !u || u.inputTokens === undefined || u.outputTokens === undefined;
  return {
    currency: exchangeRate ? exchangeRate.to : config.currency,
    lines,
    exact,
    billableTokens: Number(tok.tokens),
    usageEstimated: u?.estimated === true,
    usageMissing,
    ...(exchangeRate ? { exchangeRate } : {}),
    ...(config.id !== undefined ? { pricingConfigId: config.id } : {}),
  };
}
