import type { Bill, MeteredUsage } from './bill-types';
import type { ContextTierPrices, VolumeDiscount } from './compile-pricing';
import type { WrittenBill } from './written-bill';
import type { PricedBillLines } from './priced-bill-lines';
import type { StreamBillingConfig } from '../protocol/billing';

/** The {@link Bill} around a bill's priced lines and exact amounts, whichever path priced them. */
export function makeBill(
  config: StreamBillingConfig,
  currency: string,
  exchangeRate: Bill['exchangeRate'],
  lines: PricedBillLines,
  exact: WrittenBill<bigint> | WrittenBill<number>,
  usage: MeteredUsage['usage'],
  billableTokens: number,
  tier: ContextTierPrices | undefined,
  discountRate: VolumeDiscount,
): Bill {
  return {
    currency,
    lines,
    exact,
    billableTokens,
    usageEstimated: usage?.estimated === true,
    usageMissing: !usage || usage.inputTokens === undefined || usage.outputTokens === undefined,
    // Every field in the literal (undefined when absent; JSON leaves them out): one object shape.
    exchangeRate,
    pricingConfigId: config.id,
    unpriced: config.unpriced === true ? true : undefined,
    contextTier: tier?.aboveInputTokens,
    discountTier: discountRate.tier >= 0 ? discountRate.tier : undefined,
  };
}
