import { budgetPeriodBounds } from '@twin/core';

/**
 * The start of the UTC calendar month a time falls in, as an ISO string, remembered for the month
 * last asked about: the pricing book keys a tenant's period tokens by it at every stream's start
 * (`warm`) and end (`bill`), and working it out each time made two Dates and a string per call.
 */
export class BillingMonth {
  private from = Infinity;
  private to = -Infinity;
  private iso = '';

  /** `budgetPeriodBounds('month', at).from.toISOString()`. */
  startOf(at: Date): string {
    const t = at.getTime();
    if (!(t >= this.from && t < this.to)) {
      const bounds = budgetPeriodBounds('month', at);
      this.from = bounds.from.getTime();
      this.to = bounds.to.getTime();
      this.iso = bounds.from.toISOString();
    }
    return this.iso;
  }
}
