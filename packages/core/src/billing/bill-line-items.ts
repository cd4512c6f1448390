import type { StreamBillingConfig } from '../protocol/billing';
import type { Bill, MeteredUsage } from './bill-types';
import { formatFraction, mul, mulInt, parseDecimal, rational, sub, type Rational } from './rational';
import { roundRational } from './round-rational';
import { sumDecimals } from './decimal-sum';

/** The unit a line item's quantity is counted in (the pinned units of the price tables). */
export type LineItemUnit = '1K tokens' | 'second' | 'MB' | 'KB' | 'connection' | 'hour' | 'percent';

/**
 * One line of a bill a customer can re-check by hand: quantity × unit price = amount, or for a
 * percentage (discount, SLA credit, tax) base × quantity / 100 = amount. Amounts are
 * in the bill's currency (unit prices converted with the recorded exchange rate). `amount` is
 * rounded alone, to the bill's places; `exact` is its exact value as a fraction, and the exact
 * amounts of a bill's items add up to the bill's exact lines.
 */
export interface BillLineItem {
  /** Which bill line it belongs to. */
  line: 'tokenCost' | 'discount' | 'streaming' | 'bandwidthPremium' | 'infrastructure' | 'slaPenalty' | 'tax';
  description: string;
  quantity: string;
  unit: LineItemUnit;
  /** Price per unit (absent on percentages). */
  unitPrice?: string;
  /** What a percentage applies to: the token cost (discount), the subtotal (SLA credit), the taxable base (tax). */
  base?: string;
  amount: string;
  exact: string;
  /** The context-size tier or the discount band applied, in words. */
  tier?: string;
}

/** A bill itemised: its line items, the taxable base (subtotal − penalty) and the tax total, as strings. */
export interface ItemisedBill {
  currency: string;
  items: BillLineItem[];
  taxableBase: string;
  taxTotal: string;
  total: string;
}

/** An exact decimal string of a rational whose decimal expansion ends; others at 12 places (the fraction is in `exact`). */
function decimal(r: Rational): string {
  let d = r.d < 0n ? -r.d : r.d;
  let places = 0;
  while (d % 10n === 0n) { d /= 10n; places++; }
  while (d % 2n === 0n) { d /= 2n; places++; }
  while (d % 5n === 0n) { d /= 5n; places++; }
  const s = roundRational(r, d === 1n ? places : 12, 'half-even');
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

/**
 * Itemises a bill made by `calculateBill(metered, config, context)`: tokens per bucket, streaming
 * seconds and MB, KB above the premium threshold, connections and hours, the discount band, the SLA
 * penalty and each tax on its base. Pure; it reads the same prices the calculator used.
 */
export function itemiseBill(metered: MeteredUsage, config: StreamBillingConfig, bill: Bill): ItemisedBill {
  const places = config.rounding.minorUnits;
  const mode = config.rounding.mode;
  const fx = bill.exchangeRate ? parseDecimal(bill.exchangeRate.rate) : rational(1n);
  const items: BillLineItem[] = [];
  const push = (line: BillLineItem['line'], description: string, quantity: Rational, unit: LineItemUnit, price: string, tier?: string) => {
    if (quantity.n === 0n) return;
    const unitPrice = mul(parseDecimal(price), fx);
    const amount = mul(quantity, unitPrice);
    const item: BillLineItem = { line, description, quantity: decimal(quantity), unit, unitPrice: decimal(unitPrice), amount: roundRational(amount, places, mode), exact: formatFraction(amount) };
    if (tier !== undefined) item.tier = tier;
    items.push(item);
  };
  const u = metered.usage ?? {};
  const tier = bill.contextTier === undefined ? undefined : config.tokens.contextTiers?.find((t) => t.aboveInputTokens === bill.contextTier);
  const prices = tier ?? config.tokens;
  const tierName = tier ? `input above ${tier.aboveInputTokens.toLocaleString('en-US')} tokens` : undefined;
  const k = (n: number | undefined) => rational(BigInt(n ?? 0), 1000n);
  const input = u.inputTokens ?? 0;
  const read = u.cacheReadTokens ?? 0;
  const write = u.cacheWriteTokens ?? 0;
  const reasoning = u.reasoningTokens ?? 0;
  const output = u.outputTokens ?? 0;
  push('tokenCost', 'Input tokens', k(input - read - write), '1K tokens', prices.inputPer1K, tierName);
  push('tokenCost', 'Cached input tokens (read)', k(read), '1K tokens', prices.cachedInputReadPer1K ?? prices.inputPer1K, tierName);
  push('tokenCost', 'Cached input tokens (write)', k(write), '1K tokens', prices.cachedInputWritePer1K ?? prices.inputPer1K, tierName);
  push('tokenCost', 'Output tokens', k(output > reasoning ? output - reasoning : 0), '1K tokens', prices.outputPer1K, tierName);
  push('tokenCost', 'Reasoning tokens', k(reasoning), '1K tokens', prices.reasoningPer1K ?? prices.outputPer1K, tierName);
  if (bill.lines.discount !== '0' && !/^0(\.0+)?$/.test(bill.lines.discount)) {
    const percent = parseDecimal(bill.lines.discountPercent ?? '0');
    const amount = mul(bill.exact.tokenCost, rational(percent.n, percent.d * 100n));
    const band = bill.discountTier === undefined ? undefined : config.volumeDiscount?.tiers[bill.discountTier];
    items.push({
      line: 'discount',
      description: `Volume discount (${config.volumeDiscount?.mode ?? 'volume'})`,
      quantity: bill.lines.discountPercent ?? '0',
      unit: 'percent',
      base: decimal(bill.exact.tokenCost),
      amount: `-${roundRational(amount, places, mode)}`,
      exact: formatFraction(rational(-amount.n, amount.d)),
      ...(band ? { tier: `from ${band.thresholdTokens.toLocaleString('en-US')} tokens in the period: ${band.ratePercent}%` } : {}),
    });
  }
  push('streaming', 'Streaming time', rational(BigInt(metered.durationMs), 1000n), 'second', config.streaming.perSecond);
  push('streaming', 'Data streamed', rational(BigInt(metered.bytes), 1_000_000n), 'MB', config.streaming.perMB);
  if (config.bandwidthPremium) {
    const above = sub(rational(BigInt(metered.bytes), 1000n), parseDecimal(config.bandwidthPremium.thresholdKB));
    if (above.n > 0n) push('bandwidthPremium', `Data above ${config.bandwidthPremium.thresholdKB} KB`, above, 'KB', config.bandwidthPremium.perKB);
  }
  push('infrastructure', 'Connections', rational(BigInt(metered.connections ?? 1)), 'connection', config.infrastructure.perConnection);
  push('infrastructure', 'Connection time', rational(BigInt(metered.durationMs), 3_600_000n), 'hour', config.infrastructure.perHour);
  const taxableBase = sub(bill.exact.subtotal, bill.exact.slaPenalty);
  if (bill.exact.slaPenalty.n !== 0n) {
    items.push({
      line: 'slaPenalty',
      description: `SLA credit (${bill.lines.slaBreaches.join(', ')} breached)`,
      quantity: bill.lines.slaPenaltyPercent ?? '0',
      unit: 'percent',
      base: decimal(bill.exact.subtotal),
      amount: `-${roundRational(bill.exact.slaPenalty, places, mode)}`,
      exact: formatFraction(mulInt(bill.exact.slaPenalty, -1n)),
    });
  }
  bill.lines.taxes.forEach((t, i) => {
    const amount = bill.exact.taxes[i] ?? rational(0n);
    items.push({
      line: 'tax',
      description: `${t.name} (${t.jurisdiction})${t.reverseCharge ? ', reverse charge' : ''}`,
      quantity: t.ratePercent,
      unit: 'percent',
      base: decimal(taxableBase),
      amount: roundRational(amount, places, mode),
      exact: formatFraction(amount),
    });
  });
  return {
    currency: bill.currency,
    items,
    taxableBase: roundRational(taxableBase, places, mode),
    taxTotal: sumDecimals(bill.lines.taxes.map((t) => t.amount)),
    total: bill.lines.total,
  };
}
