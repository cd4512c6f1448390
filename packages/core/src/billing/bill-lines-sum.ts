import type { BillLines } from '../protocol/billing';
import { DecimalSum } from './decimal-sum';

/**
 * Exact running sums of bills' lines, one per line (the tax lines summed as `taxTotal`), from the
 * lines' strings: what an invoice adds for its totals and for each of its provider/model groups.
 * (Usage reports keep their own array of sums, to add fresh bills' integers without parsing.)
 */
export class BillLinesSum {
  readonly tokenCost = new DecimalSum();
  readonly discount = new DecimalSum();
  readonly streaming = new DecimalSum();
  readonly bandwidthPremium = new DecimalSum();
  readonly infrastructure = new DecimalSum();
  readonly subtotal = new DecimalSum();
  readonly slaPenalty = new DecimalSum();
  readonly taxTotal = new DecimalSum();
  readonly total = new DecimalSum();

  add(lines: BillLines): this {
    this.tokenCost.add(lines.tokenCost);
    this.discount.add(lines.discount);
    this.streaming.add(lines.streaming);
    this.bandwidthPremium.add(lines.bandwidthPremium);
    this.infrastructure.add(lines.infrastructure);
    this.subtotal.add(lines.subtotal);
    this.slaPenalty.add(lines.slaPenalty);
    for (const tax of lines.taxes) this.taxTotal.add(tax.amount);
    this.total.add(lines.total);
    return this;
  }
}
