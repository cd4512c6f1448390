import type { InvoiceTotals } from './invoice-totals';

/**
 * An invoice's totals in the order they are shown, each with its label: the printed invoice
 * ({@link invoiceToHtml}) and the admin console show the same words. `total` is the exact sum
 * before rounding to the currency's minor unit; `amountDue` is what is paid.
 */
export const INVOICE_TOTAL_LABELS: ReadonlyArray<readonly [keyof InvoiceTotals, string]> = [
  ['tokenCost', 'Tokens'],
  ['discount', 'Volume discount'],
  ['streaming', 'Streaming'],
  ['bandwidthPremium', 'Bandwidth premium'],
  ['infrastructure', 'Infrastructure'],
  ['subtotal', 'Subtotal'],
  ['slaPenalty', 'SLA credit'],
  ['taxableBase', 'Taxable base'],
  ['taxTotal', 'Taxes'],
  ['total', 'Total (exact)'],
  ['roundingAdjustment', 'Rounding'],
  ['amountDue', 'Amount due'],
];
