import type { ExactBill } from './bill-types';
import type { Rational } from './rational';

/**
 * A numerator or denominator as a bill priced it: a bigint, or a number when the bill was priced on
 * safe integers (bill-on-numbers.ts), where every such number is an exact integer. Made a bigint on access.
 */
type Exact = bigint | number;

/**
 * The exact amounts of a bill over their one shared denominator. Rationals are made on access, so
 * pricing a million streams does not allocate nine objects per bill that nobody reads.
 */
export class ExactAmounts implements ExactBill {
  // The denominators are stored divided by `g` (see CompiledPricing.roundDivisor) and restored on access.
  constructor(
    private readonly d1r: Exact,
    private readonly d2r: Exact,
    private readonly g: bigint,
    private readonly tokenCostN: Exact,
    private readonly discountN: Exact,
    private readonly streamingN: Exact,
    private readonly premiumN: Exact,
    private readonly infrastructureN: Exact,
    private readonly subtotalN: Exact,
    private readonly penaltyN: Exact,
    private readonly taxesN: readonly Exact[],
    private readonly totalN: Exact,
  ) {}
  private get d1(): bigint { return BigInt(this.d1r) * this.g; }
  private get d2(): bigint { return BigInt(this.d2r) * this.g; }
  get tokenCost(): Rational { return { n: BigInt(this.tokenCostN), d: this.d1 }; }
  get discount(): Rational { return { n: BigInt(this.discountN), d: this.d1 }; }
  get streaming(): Rational { return { n: BigInt(this.streamingN), d: this.d1 }; }
  get bandwidthPremium(): Rational { return { n: BigInt(this.premiumN), d: this.d1 }; }
  get infrastructure(): Rational { return { n: BigInt(this.infrastructureN), d: this.d1 }; }
  get subtotal(): Rational { return { n: BigInt(this.subtotalN), d: this.d1 }; }
  get slaPenalty(): Rational { return { n: BigInt(this.penaltyN), d: this.d2 }; }
  get taxes(): Rational[] { return this.taxesN.map((n) => ({ n: BigInt(n), d: this.d2 })); }
  get total(): Rational { return { n: BigInt(this.totalN), d: this.d2 }; }
}
