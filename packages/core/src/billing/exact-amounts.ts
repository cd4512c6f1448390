import type { ExactBill } from './bill-types';
import type { Rational } from './rational';

/**
 * A bill's exact numerators and denominators in one array: one allocation instead of a field (and,
 * for numbers, a boxed double) per amount. Each entry is a bigint, or a number when the bill was
 * priced on safe integers (bill-on-numbers.ts), where every entry is an exact integer. Indexes: the
 * two denominators divided by the table's roundGcd, then the numerators.
 */
export type ExactNumerators = readonly (bigint | number)[];
const D1 = 0;
const D2 = 1;
const TOKEN_COST = 2;
const DISCOUNT = 3;
const STREAMING = 4;
const PREMIUM = 5;
const INFRASTRUCTURE = 6;
const SUBTOTAL = 7;
const PENALTY = 8;
const TOTAL = 9;

/**
 * The exact amounts of a bill over their one shared denominator. Rationals are made on access, so
 * pricing a million streams does not allocate nine objects per bill that nobody reads.
 */
export class ExactAmounts implements ExactBill {
  // The denominators are stored divided by `g` (see CompiledPricing.roundDivisor) and restored on access.
  constructor(
    private readonly g: bigint,
    private readonly amounts: ExactNumerators,
    private readonly taxesN: readonly (bigint | number)[],
  ) {}
  private get d1(): bigint { return BigInt(this.amounts[D1]!) * this.g; }
  private get d2(): bigint { return BigInt(this.amounts[D2]!) * this.g; }
  private over1(i: number): Rational { return { n: BigInt(this.amounts[i]!), d: this.d1 }; }
  private over2(i: number): Rational { return { n: BigInt(this.amounts[i]!), d: this.d2 }; }
  get tokenCost(): Rational { return this.over1(TOKEN_COST); }
  get discount(): Rational { return this.over1(DISCOUNT); }
  get streaming(): Rational { return this.over1(STREAMING); }
  get bandwidthPremium(): Rational { return this.over1(PREMIUM); }
  get infrastructure(): Rational { return this.over1(INFRASTRUCTURE); }
  get subtotal(): Rational { return this.over1(SUBTOTAL); }
  get slaPenalty(): Rational { return this.over2(PENALTY); }
  get taxes(): Rational[] { return this.taxesN.map((n) => ({ n: BigInt(n), d: this.d2 })); }
  get total(): Rational { return this.over2(TOTAL); }
}
