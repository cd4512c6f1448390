import type { BillLines } from '../../protocol/billing';
import type { BillLinesSum } from '../bill-lines-sum';
import { parseDecimal, sub } from '../rational';
import { roundRational } from '../round-rational';

/** The invoice totals. Every amount is the exact sum of the records'; `amountDue` is `total` rounded once. */
export interface InvoiceTotals extends Pick<BillLines, 'tokenCost' | 'discount' | 'streaming' | 'bandwidthPremium' | 'infrastructure' | 'subtotal' | 'slaPenalty'> {
  taxableBase: string;
  taxTotal: string;
  total: string;
  /** `total` rounded once to the profile's `invoiceMinorUnits`, half-up. */
  amountDue: string;
  /** amountDue − total. */
  roundingAdjustment: string;
}

/**
 * The totals of an invoice from the sum of its records' lines: the sums as they are, the taxable
 * base (subtotal − SLA penalty, exact at the places of the two), and `total` rounded once, half-up,
 * to `minorUnits` places as the amount due.
 */
export function invoiceTotals(sum: BillLinesSum, minorUnits: number): InvoiceTotals {
  const total = sum.total.toString();
  const amountDue = roundRational(parseDecimal(total), minorUnits, 'half-up');
  const subtotal = sum.subtotal.toString();
  const slaPenalty = sum.slaPenalty.toString();
  return {
    tokenCost: sum.tokenCost.toString(),
    discount: sum.discount.toString(),
    streaming: sum.streaming.toString(),
    bandwidthPremium: sum.bandwidthPremium.toString(),
    infrastructure: sum.infrastructure.toString(),
    subtotal,
    slaPenalty,
    taxableBase: roundRational(sub(sum.subtotal.toRational(), sum.slaPenalty.toRational()), Math.max(decimals(subtotal), decimals(slaPenalty)), 'half-up'),
    taxTotal: sum.taxTotal.toString(),
    total,
    amountDue,
    roundingAdjustment: roundRational(sub(parseDecimal(amountDue), parseDecimal(total)), Math.max(decimals(total), minorUnits), 'half-up'),
  };
}

function decimals(s: string): number {
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : s.length - dot - 1;
}
