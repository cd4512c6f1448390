import type { ExactBill } from './bill-types';
import type { Rational } from './rational';

/**
 * The exact amounts of a bill over their one shared denominator. Rationals are made on access, so
 * pricing a million streams does not allocate nine objects per bill that nobody reads.
 */
export class ExactAmounts implements ExactBill {
  // The denominators are stored divided by `g` (see CompiledPricing.roundDivisor) and restored on access.
  constructor(
    private readonly d1r: bigint,
    private readonly d2r: bigint,
    private readonly g: bigint,
    private readonly tokenCostN: bigint,
    private readonly discountN: bigint,
    private readonly streamingN: bigint,
    private readonly premiumN: bigint,
    private readonly infrastructureN: bigint,
    private readonly subtotalN: bigint,
    private readonly penaltyN: bigint,
    private readonly taxesN: bigint[],
    private readonly totalN: bigint,
  ) {}
  private get d1(): bigint { return this.d1r * this.g; }
  private get d2(): bigint { return this.d2r * this.g; }
  get tokenCost(): Rational { return { n: this.tokenCostN, d: this.d1 }; }
  get discount(): Rational { return { n: this.discountN, d: this.d1 }; }
  get streaming(): Rational { return { n: this.streamingN, d: this.d1 }; }
  get bandwidthPremium(): Rational { return { n: this.premiumN, d: this.d1 }; }
  get infrastructure(): Rational { return { n: this.infrastructureN, d: this.d1 }; }
  get subtotal(): Rational { return { n: this.subtotalN, d: this.d1 }; }
  get slaPenalty(): Rational { return { n: this.penaltyN, d: this.d2 }; }
  get taxes(): Rational[] { return this.taxesN.map((n) => ({ n, d: this.d2 })); }
  get total(): Rational { return { n: this.totalN, d: this.d2 }; }
}
