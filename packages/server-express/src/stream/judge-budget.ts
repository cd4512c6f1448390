import { evaluateBudget, parseDecimal, rational, type Rational } from '@twin/core';

/** What a tenant budget's spend so far means: the alert thresholds it reached, and whether it is used up. */
export interface BudgetJudgement {
  /** The thresholds (percent of the limit) the spend reached, in the order given. */
  reached: number[];
  /** The spend reached the limit (a limit met exactly is used up). */
  exceeded: boolean;
}

const SCOPE = { type: 'apiKey', id: 'tenant' } as const;

/**
 * Judges `spent` against a budget of `limit` (exact decimal strings) with core's `evaluateBudget`:
 * used up once spent ≥ limit (its hard limit), and threshold `t` reached once spent ≥ limit × t / 100,
 * asked as spent × 100 / t ≥ limit so every comparison stays exact.
 */
export function judgeBudget(limit: string, spent: string, thresholds: readonly number[]): BudgetJudgement {
  const amount = parseDecimal(spent);
  const exceeded = evaluateBudget({ scope: SCOPE, period: 'month', currency: 'USD', hardLimit: limit }, amount).status === 'hard-stop';
  const reached = thresholds.filter((percent) => evaluateBudget({ scope: SCOPE, period: 'month', currency: 'USD', softLimit: limit }, scaled(amount, percent)).status !== 'ok');
  return { reached, exceeded };
}

/** `spent × 100 / percent`, exactly (a percent is a finite decimal: its shortest decimal form parses exactly). */
function scaled(spent: Rational, percent: number): Rational {
  const p = parseDecimal(String(percent));
  return rational(spent.n * 100n * p.d, spent.d * p.n);
}
