import { z } from 'zod';
import { TwinError } from '../errors/twin-error';
import { decimalStringSchema, type StreamBillingConfig } from '../protocol/billing';
import type { Bill, BillingContext, MeteredUsage } from './bill-types';
import { calculateBill } from './calculate-bill';
import { add, compare, parseDecimal, sub, type Rational } from './rational';
import { formatUnits, roundRationalToUnits } from './round-rational';

/** A spending limit for one user or API key over a calendar period (UTC). */
export const budgetSchema = z
  .object({
    id: z.string().optional(),
    scope: z.object({ type: z.enum(['user', 'apiKey']), id: z.string().min(1) }),
    period: z.enum(['day', 'week', 'month']),
    currency: z.string().regex(/^[A-Z]{3}$/).default('USD'),
    /** Reaching it raises an alert; streams go on. */
    softLimit: decimalStringSchema.optional(),
    /** Reaching it stops the running stream (billed up to that point) and refuses new ones. */
    hardLimit: decimalStringSchema.optional(),
  })
  .refine((b) => b.softLimit !== undefined || b.hardLimit !== undefined, 'a budget needs a softLimit, a hardLimit or both');
export type Budget = z.infer<typeof budgetSchema>;
export type BudgetInput = z.input<typeof budgetSchema>;

export type BudgetStatus = 'ok' | 'soft-alert' | 'hard-stop';

export interface BudgetEvaluation {
  status: BudgetStatus;
  /** Spent in the period including the running stream, exact decimal string. */
  spent: string;
  /** Hard limit minus spent (may be negative), when there is a hard limit. */
  remaining?: string;
  /** The limit that was reached (`soft-alert` / `hard-stop`). */
  limit?: string;
  /** `unpriced`: the usage has no price, so the limit cannot be shown to hold (never read as free). */
  reason?: 'limit' | 'unpriced';
}

function amount(value: string | Rational, name: string): Rational {
  if (typeof value !== 'string') return value;
  try {
    return parseDecimal(value);
  } catch (cause) {
    throw new TwinError('invalid_argument', `${name} must be a decimal string, got "${value}".`, { cause });
  }
}

function exactString(r: Rational): string {
  // For display only (the comparisons above use the exact value). Sums of bill lines are finite
  // decimals and stay exact at 12 places; an exact rational total shows rounded at the 12th place.
  return formatUnits(roundRationalToUnits(r, 12, 'half-even'), 12).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
}

/**
 * Judges a budget: `hard-stop` once spent so far + the running stream's cost so far REACHES the hard
 * limit (≥), else `soft-alert` once it reaches the soft limit, else `ok`. Amounts are decimal strings
 * (or exact rationals, e.g. `bill.exact.total`) in the budget's currency.
 */
export function evaluateBudget(
  budget: Budget,
  spentInPeriod: string | Rational,
  runningStreamCost: string | Rational = '0',
  options: { unpriced?: boolean } = {},
): BudgetEvaluation {
  const spent = add(amount(spentInPeriod, 'spentInPeriod'), amount(runningStreamCost, 'runningStreamCost'));
  const evaluation: BudgetEvaluation = { status: 'ok', spent: exactString(spent) };
  // Usage on an unpriced model costs an unknown amount: a limit cannot be shown to hold, so a hard
  // limit stops it and a soft limit alerts, instead of counting it as free.
  if (options.unpriced) {
    if (budget.hardLimit !== undefined) return { ...evaluation, status: 'hard-stop', limit: budget.hardLimit, reason: 'unpriced' };
    if (budget.softLimit !== undefined) return { ...evaluation, status: 'soft-alert', limit: budget.softLimit, reason: 'unpriced' };
  }
  if (budget.hardLimit !== undefined) {
    const hard = parseDecimal(budget.hardLimit);
    evaluation.remaining = exactString(sub(hard, spent));
    if (compare(spent, hard) >= 0) return { ...evaluation, status: 'hard-stop', limit: budget.hardLimit, reason: 'limit' };
  }
  if (budget.softLimit !== undefined && compare(spent, parseDecimal(budget.softLimit)) >= 0) {
    return { ...evaluation, status: 'soft-alert', limit: budget.softLimit, reason: 'limit' };
  }
  return evaluation;
}

/**
 * The cost of a running stream so far: the usage metered up to now (`StreamMeter.snapshot(now)`,
 * estimated where the provider has not reported yet) priced with the same calculator as the final bill.
 */
export function priceRunningStream(soFar: MeteredUsage, config: StreamBillingConfig, context: BillingContext = {}): Bill {
  return calculateBill(soFar, config, context);
}

/** The error a stream is stopped with when its budget's hard limit is reached (code `budget_exceeded`). */
export function budgetExceededError(budget: Budget, evaluation: BudgetEvaluation): TwinError {
  const who = budget.scope.type === 'user' ? 'user' : 'API key';
  const adjective = { day: 'daily', week: 'weekly', month: 'monthly' }[budget.period];
  return new TwinError(
    'budget_exceeded',
    `The ${adjective} budget of this ${who} (${budget.hardLimit ?? evaluation.limit} ${budget.currency}) is used up: ${evaluation.spent} ${budget.currency} spent. The stream was stopped and billed up to this point.`,
    { retryable: false, details: { budgetId: budget.id, period: budget.period, limit: budget.hardLimit, spent: evaluation.spent } },
  );
}

/**
 * The UTC calendar period containing `at`: a day, an ISO week (Monday to Monday) or a month.
 * `from` is inclusive, `to` exclusive. Use it to sum the spend of the current period.
 */
export function budgetPeriodBounds(period: Budget['period'], at: Date | number): { from: Date; to: Date } {
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) throw new TwinError('invalid_argument', 'budgetPeriodBounds needs a valid date.');
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  const day = d.getUTCDate();
  if (period === 'day') return { from: new Date(Date.UTC(y, m, day)), to: new Date(Date.UTC(y, m, day + 1)) };
  if (period === 'week') {
    const sinceMonday = (d.getUTCDay() + 6) % 7;
    return { from: new Date(Date.UTC(y, m, day - sinceMonday)), to: new Date(Date.UTC(y, m, day - sinceMonday + 7)) };
  }
  return { from: new Date(Date.UTC(y, m, 1)), to: new Date(Date.UTC(y, m + 1, 1)) };
}
