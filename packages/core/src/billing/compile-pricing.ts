import { TwinError } from '../errors/twin-error';
import type { StreamBillingConfig } from '../protocol/billing';
import { parseDecimal, pow10, type Rational } from './rational';
import { formatPercent } from './round-rational';
import { deepFreeze } from '../util/deep-freeze';

/**
 * A price table parsed once into exact integers, so pricing a million streams parses no strings.
 *
 * Every price of one table is written as an integer count of 10^-scale currency units (`scale` is the
 * largest number of decimal places among its prices), and every metered quantity is brought to the
 * one denominator `base = 36,000,000 × 10^scale`, the least common multiple of the pinned units
 * (1,000 tokens, 1,000 ms per second, 1,000,000 bytes per MB, 1,000 bytes per KB, 3,600,000 ms per
 * hour). So tokens, streaming, premium and infrastructure are exact integer numerators over one
 * shared denominator, and adding them is a bigint addition.
 */
export interface CompiledPricing extends TokenPrices {
  readonly config: StreamBillingConfig;
  /**
   * The table's denominator, `36,000,000 × 10^scale × lift`. `lift` is the tier-rate denominator of
   * `volume` discounts (100 for whole percents) and 1 otherwise: a volume tier takes `rateNum / lift`
   * of the token cost, so with `lift` already in the denominator a discounted bill is integer
   * numerators over the same `base` as an undiscounted one, and no bill has to lift its lines.
   */
  readonly base: bigint;
  readonly lift: bigint;
  /**
   * Per-1K token prices × (36,000 × 10^scale) / 1,000 … i.e. numerators per token over `base / lift`
   * (the token cost is lifted once per bill, because the discount is a fraction of the unlifted cost).
   */
  readonly perInputToken: bigint;
  readonly perCacheReadToken: bigint;
  readonly perCacheWriteToken: bigint;
  readonly perOutputToken: bigint;
  readonly perReasoningToken: bigint;
  /**
   * Context-size tiers (ascending `aboveInputTokens`), each with its per-token numerators over
   * `base / lift` like the base prices above; empty for tables without tiers.
   */
  readonly contextTiers: readonly ContextTierPrices[];
  /** Numerator per millisecond of streaming (price/s) and of infrastructure (price/h), over `base`. */
  readonly perMs: bigint;
  readonly perMsInfra: bigint;
  /** Numerator per byte of streaming (price/MB) and per byte of premium (price/KB). */
  readonly perByte: bigint;
  readonly perBytePremium: bigint;
  /**
   * Premium threshold in bytes (thresholdKB × 1,000) as `premiumThresholdNum / premiumThresholdDen`;
   * the denominator is 1 unless the threshold has more than 3 decimal places of KB.
   */
  readonly premiumThresholdNum: bigint | undefined;
  readonly premiumThresholdDen: bigint;
  readonly perConnection: bigint;
  /** Tier rates as fractions `rateNums[i] / rateDen` (one denominator for all tiers). */
  readonly discount:
    | {
        mode: 'volume' | 'graduated';
        thresholds: number[];
        rateNums: bigint[];
        rateDen: bigint;
        ratesPercent: string[];
        /** Per tier, the step-2 result of a volume tier (or of a graduated band with no tokens), made once. */
        tierResults: readonly VolumeDiscount[];
        /** Graduated: per band, the step-2 result of a usage wholly inside it (`rateNums[i] / rateDen`), made once. */
        bandResults: readonly VolumeDiscount[];
      }
    | undefined;
  /** Penalty fractions over one denominator `penaltyDen`. */
  readonly sla:
    | {
        /** `breached` caches, per measured figure, whether it breaches (measured figures repeat across bills). */
        uptime?: { min: Rational; penalty: bigint } & GuaranteeVerdicts;
        /** `maxMs` as an exact rational, and as the integer it is (schema: int) for integer measurements. */
        latency?: { maxMs: Rational; maxMsInt: number; percentile: string; penalty: bigint } & GuaranteeVerdicts;
        bandwidth?: { min: Rational; penalty: bigint } & GuaranteeVerdicts;
        maxPenalty: bigint;
        penaltyDen: bigint;
        /**
         * The eight possible outcomes, indexed by a bit mask of the breached guarantees (1 uptime,
         * 2 latency, 4 bandwidth): the capped penalty numerator, the breaches in order and the
         * percent string. A bill looks its outcome up instead of summing, capping and formatting.
         */
        outcomes: readonly SlaOutcome[];
        /** `roundDivisor × penaltyDen` and its half: D2 of a bill with a penalty and nothing else to lift. */
        roundDivisorP: bigint;
        roundHalfP: bigint;
      }
    | undefined;
  /** Tax rates as fractions `rateNum / taxDen` (one denominator for all rates). */
  readonly taxes: { jurisdiction: string; name: string; ratePercent: string; rateNum: bigint; safeRateNum: number; reverseCharge: boolean }[];
  readonly taxDen: bigint;
  /**
   * Rounding shortcut: rounding `n / (base × k)` to `minorUnits` places is the same as rounding
   * `n × roundFactor / (roundDivisor × k)`, where the common power of ten of `base` and
   * 10^minorUnits is cancelled (`base = roundDivisor × roundGcd`). The divisions then work on numbers
   * a million times smaller, which matters when pricing millions of streams.
   */
  readonly roundDivisor: bigint;
  /** `roundDivisor / 2` (roundDivisor is even: it carries the 36 of the unit LCM). */
  readonly roundHalf: bigint;
  readonly roundFactor: bigint;
  readonly roundGcd: bigint;
  /**
   * The table's constants as numbers when every one of them is a safe integer (the shipped tables
   * and any table with prices to a few places), so a bill can be priced without a bigint
   * (bill-on-numbers.ts); undefined otherwise, and bills of this table are priced on bigints.
   */
  readonly safe: SafePricing | undefined;
}

/** A guarantee's verdicts so far: per measured figure (bounded), and the last one again. */
export interface GuaranteeVerdicts {
  breached: Map<string | number, boolean>;
  lastFigure: string | number | undefined;
  lastVerdict: boolean;
}

/** {@link TokenPrices} as numbers (every one a safe integer). */
export interface SafeTokenPrices {
  readonly perInputToken: number;
  readonly perCacheReadToken: number;
  readonly perCacheWriteToken: number;
  readonly perOutputToken: number;
  readonly perReasoningToken: number;
}

/** The bigint constants of a {@link CompiledPricing} as numbers, each a safe integer (same names, same meaning). */
export interface SafePricing extends SafeTokenPrices {
  readonly lift: number;
  readonly perMs: number;
  readonly perMsInfra: number;
  readonly perByte: number;
  readonly perBytePremium: number;
  readonly premiumThresholdNum: number | undefined;
  readonly premiumThresholdDen: number;
  readonly perConnection: number;
  readonly roundDivisor: number;
  readonly roundHalf: number;
  readonly roundFactor: number;
  /** 1 without SLA terms; `sla.penaltyDen`, `sla.roundDivisorP` and `sla.roundHalfP` otherwise. */
  readonly penaltyDen: number;
  readonly roundDivisorP: number;
  readonly roundHalfP: number;
  readonly taxDen: number;
}

/**
 * The result of a bill's step 2 (volume discount): the discount is `tokenCost × rateNumerator / rateDenominator`. For `volume` tiers
 * the denominator is already in the table's `base` (CompiledPricing.lift) and `rateDenominator` is
 * 1; graduated tiers divide by `rateDen × billableTokens` (the token-weighted mean).
 */
export interface VolumeDiscount {
  readonly rateNumerator: bigint;
  readonly rateDenominator: bigint;
  /** The same two as numbers (exact when at most Number.MAX_SAFE_INTEGER; bill-on-numbers.ts checks). */
  readonly safeRateNumerator: number;
  readonly safeRateDenominator: number;
  /** The applied rate in percent ("0" without a discount plan or below the first tier). */
  readonly percent: string;
  /** The index of the tier (band) applied, -1 for none; under graduated tiers the highest band reached. */
  readonly tier: number;
}

/** Per-token numerators of the five token buckets, over `base / lift`. */
export interface TokenPrices {
  readonly perInputToken: bigint;
  readonly perCacheReadToken: bigint;
  readonly perCacheWriteToken: bigint;
  readonly perOutputToken: bigint;
  readonly perReasoningToken: bigint;
}

/** The prices of one context-size tier (see `CompiledPricing.contextTiers`). */
export interface ContextTierPrices extends TokenPrices {
  readonly aboveInputTokens: number;
  /** The prices as numbers; set when the whole table is safe (CompiledPricing.safe). */
  readonly safe: SafeTokenPrices | undefined;
}

/** One SLA outcome of a price table (see `CompiledPricing.sla.outcomes`). */
export interface SlaOutcome {
  readonly num: bigint;
  /** `num` as a number (exact when the table is safe, CompiledPricing.safe). */
  readonly safeNum: number;
  readonly breaches: readonly ('uptime' | 'latency' | 'bandwidth')[];
  /**
   * The same list unfrozen and never handed out: what each bill's own copy is sliced from
   * (`slice()` of a frozen array takes V8's slow path, about ten times as long).
   */
  readonly breachList: readonly ('uptime' | 'latency' | 'bandwidth')[];
  readonly percent: string;
}

/** 36,000,000 = lcm(1,000 tokens, 1,000 ms, 1,000,000 bytes/MB, 1,000 bytes/KB, 3,600,000 ms/h). */
const UNIT_LCM = 36_000_000n;

function decimalPlaces(s: string): number {
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : s.length - dot - 1;
}

/** Percent strings as integer numerators over one denominator 100 × 10^(most decimal places). */
function percents(values: readonly string[]): { nums: bigint[]; den: bigint } {
  const places = Math.max(0, ...values.map(decimalPlaces));
  return { nums: values.map((v) => parseDecimal(v).n * pow10(places - decimalPlaces(v))), den: 100n * pow10(places) };
}

/** Every combination of breached guarantees (bit mask 1 uptime, 2 latency, 4 bandwidth), capped and formatted once. */
function slaOutcomes(nums: bigint[], den: bigint): SlaOutcome[] {
  const names = ['uptime', 'latency', 'bandwidth'] as const;
  const out: SlaOutcome[] = [];
  for (let mask = 0; mask < 8; mask++) {
    let num = 0n;
    const breaches: ('uptime' | 'latency' | 'bandwidth')[] = [];
    for (let i = 0; i < 3; i++) {
      if (mask & (1 << i)) {
        num += nums[i]!;
        breaches.push(names[i]!);
      }
    }
    if (num > nums[3]!) num = nums[3]!;
    out.push(Object.freeze({ num, safeNum: Number(num), breaches: Object.freeze(breaches.slice()), breachList: breaches, percent: formatPercent(num, den) }));
  }
  return out;
}

/** A step-2 result with its rate as bigints and as numbers (made once per tier of a table). */
export function volumeDiscountResult(rateNumerator: bigint, rateDenominator: bigint, percent: string, tier: number): VolumeDiscount {
  return Object.freeze({ rateNumerator, rateDenominator, safeRateNumerator: Number(rateNumerator), safeRateDenominator: Number(rateDenominator), percent, tier });
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const isSafe = (v: bigint): boolean => v >= 0n && v <= MAX_SAFE;

function safeTokenPrices(p: TokenPrices): SafeTokenPrices | undefined {
  const all = [p.perInputToken, p.perCacheReadToken, p.perCacheWriteToken, p.perOutputToken, p.perReasoningToken];
  if (!all.every(isSafe)) return undefined;
  return Object.freeze({ perInputToken: Number(p.perInputToken), perCacheReadToken: Number(p.perCacheReadToken), perCacheWriteToken: Number(p.perCacheWriteToken), perOutputToken: Number(p.perOutputToken), perReasoningToken: Number(p.perReasoningToken) });
}

/**
 * The table's constants as numbers, or undefined unless every constant a bill multiplies by (prices,
 * tiers, rates, penalties, taxes, denominators) is a non-negative safe integer: then Number() of each
 * is exact, and bill-on-numbers.ts only has to bound what a bill makes of them.
 */
function safePricing(c: CompiledPricing): SafePricing | undefined {
  const tokens = safeTokenPrices(c);
  if (!tokens || c.contextTiers.some((t) => !t.safe)) return undefined;
  const sla = c.sla;
  const constants = [
    c.lift, c.perMs, c.perMsInfra, c.perByte, c.perBytePremium, c.premiumThresholdNum ?? 0n, c.premiumThresholdDen, c.perConnection,
    c.roundDivisor, c.roundHalf, c.roundFactor, c.taxDen,
    ...(sla ? [sla.penaltyDen, sla.roundDivisorP, sla.roundHalfP, ...sla.outcomes.map((o) => o.num)] : []),
    ...c.taxes.map((t) => t.rateNum),
    ...(c.discount ? [...c.discount.rateNums, c.discount.rateDen] : []),
  ];
  if (!constants.every(isSafe)) return undefined;
  return Object.freeze({
    ...tokens,
    lift: Number(c.lift),
    perMs: Number(c.perMs),
    perMsInfra: Number(c.perMsInfra),
    perByte: Number(c.perByte),
    perBytePremium: Number(c.perBytePremium),
    premiumThresholdNum: c.premiumThresholdNum === undefined ? undefined : Number(c.premiumThresholdNum),
    premiumThresholdDen: Number(c.premiumThresholdDen),
    perConnection: Number(c.perConnection),
    roundDivisor: Number(c.roundDivisor),
    roundHalf: Number(c.roundHalf),
    roundFactor: Number(c.roundFactor),
    penaltyDen: sla ? Number(sla.penaltyDen) : 1,
    roundDivisorP: sla ? Number(sla.roundDivisorP) : 0,
    roundHalfP: sla ? Number(sla.roundHalfP) : 0,
    taxDen: Number(c.taxDen),
  });
}

const cache = new WeakMap<StreamBillingConfig, CompiledPricing>();

/**
 * Compiles (and caches per config object) a parsed {@link StreamBillingConfig}. Parse user configs with
 * `streamBillingConfigSchema` first; this function trusts the shape.
 *
 * The compiled table is cached per config object, so the config is deep-frozen on its first use: an
 * edit in place afterwards throws (in strict-mode code) instead of being silently ignored. Build a
 * new config object to change prices; bills already made keep the prices they were made with.
 */
export function compilePricing(config: StreamBillingConfig): CompiledPricing {
  for (let i = 0; i < recentConfigs.length; i++) if (recentConfigs[i] === config) return recentCompiled[i]!;
  const compiled = cache.get(config) ?? compileUncached(config);
  recentConfigs[recentNext] = config;
  recentCompiled[recentNext] = compiled;
  recentNext = (recentNext + 1) % RECENT;
  return compiled;
}

/*
 * A process prices with a few tables, one lookup per bill: the last few compiled are found by
 * comparing references, before the WeakMap (whose lookup was 2% of the billing bench). They are
 * held strongly, at most RECENT of them (price tables live as long as the process anyway).
 */
const RECENT = 8;
const recentConfigs: StreamBillingConfig[] = [];
const recentCompiled: CompiledPricing[] = [];
let recentNext = 0;

function compileUncached(config: StreamBillingConfig): CompiledPricing {
  if (!config?.rounding || !config.tokens || !config.streaming || !config.infrastructure || !Array.isArray(config.taxes)) {
    throw new TwinError('config_invalid', 'A pricing config must be parsed with streamBillingConfigSchema (or come from parsePricingConfigs / DEFAULT_PRICING) before use.');
  }
  const t = config.tokens;
  const prices = [
    t.inputPer1K,
    t.cachedInputReadPer1K ?? t.inputPer1K,
    t.cachedInputWritePer1K ?? t.inputPer1K,
    t.outputPer1K,
    t.reasoningPer1K ?? t.outputPer1K,
    config.streaming.perSecond,
    config.streaming.perMB,
    config.infrastructure.perConnection,
    config.infrastructure.perHour,
    config.bandwidthPremium?.perKB ?? '0',
  ];
  for (const p of prices) {
    if (!/^(?:0|[1-9]\d*)(?:\.\d+)?$/.test(p)) {
      throw new TwinError('config_invalid', `Price "${p}" in the ${config.provider}/${config.model} table is not a non-negative decimal string.`);
    }
  }
  const tiers0 = t.contextTiers ?? [];
  const tierPrices = tiers0.map((x) => [
    x.inputPer1K,
    x.cachedInputReadPer1K ?? x.inputPer1K,
    x.cachedInputWritePer1K ?? x.inputPer1K,
    x.outputPer1K,
    x.reasoningPer1K ?? x.outputPer1K,
  ]);
  for (const p of tierPrices.flat()) {
    if (!/^(?:0|[1-9]\d*)(?:\.\d+)?$/.test(p)) {
      throw new TwinError('config_invalid', `Price "${p}" in the ${config.provider}/${config.model} context tiers is not a non-negative decimal string.`);
    }
  }
  const scale = Math.max(...prices.map(decimalPlaces), ...tierPrices.flat().map(decimalPlaces));
  // Integer price in 10^-scale units.
  const units = (s: string): bigint => parseDecimal(s).n * pow10(scale - decimalPlaces(s));
  const tiers = config.volumeDiscount?.tiers ?? [];
  const tierRates = percents(tiers.map((x) => x.ratePercent));
  const lift = config.volumeDiscount?.mode === 'volume' && tiers.length > 0 ? tierRates.den : 1n;
  const base = UNIT_LCM * pow10(scale) * lift;
  // base = 36 × 10^(6 + scale), so 10^min(places, 6 + scale) divides both base and 10^minorUnits.
  const roundGcd = pow10(Math.min(config.rounding.minorUnits, 6 + scale));
  const [inP, crP, cwP, outP, reasP, secP, mbP, connP, hourP, kbP] = prices.map(units) as [
    bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint,
  ];
  const discount = config.volumeDiscount && tiers.length > 0
    ? {
        mode: config.volumeDiscount.mode,
        thresholds: tiers.map((x) => x.thresholdTokens),
        rateNums: tierRates.nums,
        rateDen: tierRates.den,
        ratesPercent: tiers.map((x) => x.ratePercent),
        tierResults: tiers.map((x, i) => volumeDiscountResult(tierRates.nums[i]!, 1n, x.ratePercent, i)),
        bandResults: tiers.map((_, i) => volumeDiscountResult(tierRates.nums[i]!, tierRates.den, formatPercent(tierRates.nums[i]!, tierRates.den), i)),
      }
    : undefined;
  const s = config.sla;
  const pen = percents(s ? [s.uptime?.penaltyPercent ?? '0', s.latency?.penaltyPercent ?? '0', s.bandwidth?.penaltyPercent ?? '0', s.maxPenaltyPercent] : []);
  const tax = percents(config.taxes.map((x) => x.ratePercent));
  const thr = config.bandwidthPremium ? parseDecimal(config.bandwidthPremium.thresholdKB) : undefined;
  const thrPlaces = config.bandwidthPremium ? decimalPlaces(config.bandwidthPremium.thresholdKB) : 0;
  const roundDivisor = base / roundGcd;
  const compiled: CompiledPricing = {
    config,
    base,
    lift,
    // price per 1K tokens → per token over base: × 36,000,000 / 1,000.
    perInputToken: inP * 36_000n,
    perCacheReadToken: crP * 36_000n,
    perCacheWriteToken: cwP * 36_000n,
    perOutputToken: outP * 36_000n,
    perReasoningToken: reasP * 36_000n,
    contextTiers: tiers0.map((x, i) => {
      const [a, b, c, d, e] = tierPrices[i]!.map((v) => units(v) * 36_000n) as [bigint, bigint, bigint, bigint, bigint];
      const prices = { perInputToken: a, perCacheReadToken: b, perCacheWriteToken: c, perOutputToken: d, perReasoningToken: e };
      return Object.freeze({ aboveInputTokens: x.aboveInputTokens, ...prices, safe: safeTokenPrices(prices) });
    }),
    // price per second → per ms: / 1,000; price per hour → per ms: / 3,600,000.
    perMs: secP * 36_000n * lift,
    perMsInfra: hourP * 10n * lift,
    // price per MB → per byte: / 1,000,000; price per KB → per byte: / 1,000.
    perByte: mbP * 36n * lift,
    perBytePremium: kbP * 36_000n * lift,
    premiumThresholdNum: thr === undefined ? undefined : thrPlaces <= 3 ? thr.n * pow10(3 - thrPlaces) : thr.n,
    premiumThresholdDen: thr === undefined || thrPlaces <= 3 ? 1n : pow10(thrPlaces - 3),
    perConnection: connP * UNIT_LCM * lift,
    discount,
    sla: s
      ? {
          uptime: s.uptime ? { min: parseDecimal(s.uptime.minPercent), penalty: pen.nums[0]!, breached: new Map(), lastFigure: undefined, lastVerdict: false } : undefined,
          latency: s.latency ? { maxMs: parseDecimal(s.latency.maxMs), maxMsInt: s.latency.maxMs, percentile: s.latency.percentile, penalty: pen.nums[1]!, breached: new Map(), lastFigure: undefined, lastVerdict: false } : undefined,
          bandwidth: s.bandwidth ? { min: parseDecimal(s.bandwidth.minMBps), penalty: pen.nums[2]!, breached: new Map(), lastFigure: undefined, lastVerdict: false } : undefined,
          maxPenalty: pen.nums[3]!,
          penaltyDen: pen.den,
          outcomes: slaOutcomes(pen.nums, pen.den),
          roundDivisorP: roundDivisor * pen.den,
          roundHalfP: (roundDivisor * pen.den) >> 1n,
        }
      : undefined,
    taxes: config.taxes.map((x, i) => ({ jurisdiction: x.jurisdiction, name: x.name, ratePercent: x.ratePercent, rateNum: tax.nums[i]!, safeRateNum: Number(tax.nums[i]!), reverseCharge: x.reverseCharge })),
    taxDen: tax.den,
    roundDivisor,
    roundHalf: roundDivisor >> 1n,
    roundFactor: pow10(config.rounding.minorUnits) / roundGcd,
    roundGcd,
    safe: undefined,
  };
  (compiled as { safe: SafePricing | undefined }).safe = safePricing(compiled);
  // Frozen so an edit after its first use throws instead of being ignored.
  deepFreeze(config);
  cache.set(config, compiled);
  return compiled;
}
