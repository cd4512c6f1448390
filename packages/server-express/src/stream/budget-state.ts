import { TwinError, parseDecimal, sumDecimals, type TwinErrorPayload } from '@twin/core';
import type { BudgetScope } from '../storage/budget-store';
import type { BudgetRow } from '../storage/twin-store';

/** One budget that applies to a stream, with the spend of its period as last read from the database. */
export interface BudgetState {
  budget: BudgetRow;
  scope: BudgetScope;
  /** Billed in the budget's period and currency within its scope, exact decimal string. */
  spent: string;
  /** Alert thresholds, percent of the limit, ascending. */
  thresholds: number[];
  /** `action: block`: used up stops streams (new ones with 402, running ones mid-way). */
  block: boolean;
  /** Start of the period `spent` covers. */
  from: Date;
  /** Thresholds `spent` reached. */
  reached: number[];
  /** `spent` reached the limit. */
  exceeded: boolean;
}

// The most specific scope is named first when two budgets are equally tight.
const SPECIFICITY = { user: 0, apiKey: 1, tenant: 2 } as const;

/** `limit − spent`, exactly: what is left of a budget (negative once overspent). */
function headroom(state: Pick<BudgetState, 'budget' | 'spent'>): string {
  const spent = state.spent.startsWith('-') ? state.spent.slice(1) : `-${state.spent}`;
  return sumDecimals([state.budget.limitAmount, spent]);
}

/** Orders two exact decimal strings (no float on the way). */
function compareDecimals(a: string, b: string): number {
  const x = parseDecimal(a);
  const y = parseDecimal(b);
  const l = x.n * y.d;
  const r = y.n * x.d;
  return l < r ? -1 : l > r ? 1 : 0;
}

/**
 * Of the blocking budgets that are used up, the tightest: the least left (most overspent), then the
 * most specific scope (end user, then API key, then tenant). `undefined` when none is used up.
 */
export function tightestUsedUp(states: readonly BudgetState[]): BudgetState | undefined {
  let best: BudgetState | undefined;
  for (const state of states) {
    if (!state.block || !state.exceeded) continue;
    if (!best) {
      best = state;
      continue;
    }
    const order = compareDecimals(headroom(state), headroom(best));
    if (order < 0 || (order === 0 && SPECIFICITY[state.scope.type] < SPECIFICITY[best.scope.type])) best = state;
  }
  return best;
}

/** What a refusal or a stop says about the budget: which scope, period, limit and spend (no secret: ids only). */
function budgetDetails(state: BudgetState, spent: string): Record<string, unknown> {
  const { budget, scope } = state;
  return {
    budgetId: budget.id,
    scope: scope.type,
    ...(scope.type !== 'tenant' ? { scopeId: scope.id } : {}),
    period: budget.period,
    limit: budget.limitAmount,
    currency: budget.currency,
    spent,
  };
}

function who(scope: BudgetScope): string {
  return scope.type === 'tenant' ? 'this tenant' : scope.type === 'apiKey' ? `API key ${scope.id}` : `end user ${scope.id}`;
}

/** The 402 a new stream gets when `state`'s budget is used up. */
export function budgetRefusal(state: BudgetState): TwinError {
  const { budget } = state;
  return new TwinError(
    'budget_exceeded',
    `The ${budget.period} budget of ${who(state.scope)} (${budget.limitAmount} ${budget.currency}) is used up: ${state.spent} ${budget.currency} spent.`,
    { details: budgetDetails(state, state.spent) },
  );
}

/** The error a running stream ends with when `state`'s budget is used up by `spent` (its period's spend with this stream's cost so far). */
export function budgetStopError(state: BudgetState, spent: string): TwinErrorPayload {
  const { budget } = state;
  return new TwinError(
    'budget_exceeded',
    `The ${budget.period} budget of ${who(state.scope)} (${budget.limitAmount} ${budget.currency}) is used up: ${spent} ${budget.currency} with this stream. The stream was stopped and billed up to this point.`,
    { retryable: false, details: budgetDetails(state, spent) },
  ).toPayload();
}

