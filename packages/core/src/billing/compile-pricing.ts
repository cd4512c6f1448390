import { TwinError } from '../errors/twin-error';
import type { StreamBillingConfig } from '../protocol/billing';
import { parseDecimal, pow10, type Rational } from './rational';

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
export interface CompiledPricing {
  readonly config: StreamBillingConfig;
  readonly base: bigint;
  /** Per-1K token prices × (36,000 × 10^scale) / 1,000 … i.e. numerators per token over `base`. */
  readonly perInputToken: bigint;
  readonly perCacheReadToken: bigint;
  readonly perCacheWriteToken: bigint;
  readonly perOutputToken: bigint;
  readonly perReasoningToken: bigint;
  /** Numerator per millisecond of streaming (price/s) and of infrastructure (price/h). */
  readonly perMs: bigint;
  readonly perMsInfra: bigint;
  /** Numerator per byte of streaming (price/MB) and per byte of premium (price/KB). */
  readonly perByte: bigint;
  readonly perBytePremium: bigint;
  /** Premium threshold in bytes as a rational (thresholdKB × 1,000). */
  readonly premiumThresholdBytes: Rational | undefined;
  readonly perConnection: bigint;
  readonly discount:
    | { mode: 'volume' | 'graduated'; thresholds: number[]; rates: Rational[]; /** rates as percent */ ratesPercent: string[] }
    | undefined;
  readonly sla:
    | {
        uptime?: { min: Rational; penalty: Rational };
        latency?: { maxMs: Rational; percentile: string; penalty: Rational };
        bandwidth?: { min: Rational; penalty: Rational };
        maxPenalty: Rational;
      }
    | undefined;
  readonly taxes: { jurisdiction: string; name: string; ratePercent: string; rate: Rational; reverseCharge: boolean }[];
}

/** 36,000,000 = lcm(1,000 tokens, 1,000 ms, 1,000,000 bytes/MB, 1,000 bytes/KB, 3,600,000 ms/h). */
const UNIT_LCM = 36_000_000n;

function decimalPlaces(s: string): number {
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : s.length - dot - 1;
}

function percent(s: string): Rational {
  const r = parseDecimal(s);
  return { n: r.n, d: r.d * 100n };
}

const cache = new WeakMap<StreamBillingConfig, CompiledPricing>();

/**
 * Compiles (and caches per config object) a parsed {@link StreamBillingConfig}. Parse user configs with
 * `streamBillingConfigSchema` first; this function trusts the shape.
 */
export function compilePricing(config: StreamBillingConfig): CompiledPricing {
  const hit = cache.get(config);
  if (hit) return hit;
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
  const scale = Math.max(...prices.map(decimalPlaces));
  // Integer price in 10^-scale units.
  const units = (s: string): bigint => parseDecimal(s).n * pow10(scale - decimalPlaces(s));
  const base = UNIT_LCM * pow10(scale);
  const [inP, crP, cwP, outP, reasP, secP, mbP, connP, hourP, kbP] = prices.map(units) as [
    bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint,
  ];
  const discount = config.volumeDiscount && config.volumeDiscount.tiers.length > 0
    ? {
        mode: config.volumeDiscount.mode,
        thresholds: config.volumeDiscount.tiers.map((x) => x.thresholdTokens),
        rates: config.volumeDiscount.tiers.map((x) => percent(x.ratePercent)),
        ratesPercent: config.volumeDiscount.tiers.map((x) => x.ratePercent),
      }
    : undefined;
  const s = config.sla;
  const compiled: CompiledPricing = {
    config,
    base,
    // price per 1K tokens → per token over base: × 36,000,000 / 1,000.
    perInputToken: inP * 36_000n,
    perCacheReadToken: crP * 36_000n,
    perCacheWriteToken: cwP * 36_000n,
    perOutputToken: outP * 36_000n,
    perReasoningToken: reasP * 36_000n,
    // price per second → per ms: / 1,000; price per hour → per ms: / 3,600,000.
    perMs: secP * 36_000n,
    perMsInfra: hourP * 10n,
    // price per MB → per byte: / 1,000,000; price per KB → per byte: / 1,000.
    perByte: mbP * 36n,
    perBytePremium: kbP * 36_000n,
    premiumThresholdBytes: config.bandwidthPremium ? { n: parseDecimal(config.bandwidthPremium.thresholdKB).n * 1000n, d: parseDecimal(config.bandwidthPremium.thresholdKB).d } : undefined,
    perConnection: connP * UNIT_LCM,
    discount,
    sla: s
      ? {
          uptime: s.uptime ? { min: parseDecimal(s.uptime.minPercent), penalty: percent(s.uptime.penaltyPercent) } : undefined,
          latency: s.latency ? { maxMs: parseDecimal(s.latency.maxMs), percentile: s.latency.percentile, penalty: percent(s.latency.penaltyPercent) } : undefined,
          bandwidth: s.bandwidth ? { min: parseDecimal(s.bandwidth.minMBps), penalty: percent(s.bandwidth.penaltyPercent) } : undefined,
          maxPenalty: percent(s.maxPenaltyPercent),
        }
      : undefined,
    taxes: config.taxes.map((x) => ({ jurisdiction: x.jurisdiction, name: x.name, ratePercent: x.ratePercent, rate: percent(x.ratePercent), reverseCharge: x.reverseCharge })),
  };
  cache.set(config, compiled);
  return compiled;
}
