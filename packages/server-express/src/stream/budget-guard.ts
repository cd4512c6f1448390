import { TwinError, budgetPeriodBounds, type Budget } from '@twin/core';
import type { Logger } from 'pino';
import type { AlertMessage } from '../alerts/webhook-dispatcher';
import { randomId } from '../auth/api-key';
import { scopeOf, type BudgetScope } from '../storage/budget-store';
import type { BudgetRow, TwinStore } from '../storage/twin-store';
import { budgetRefusal, tightestUsedUp, type BudgetState } from './budget-state';
import { judgeBudget } from './judge-budget';

/** Who a stream's spend counts against: its tenant, the API key it came with, and its end user (if any). */
export interface BudgetSubject {
  tenantId: string;
  apiKeyId: string;
  /** The request's `user`. */
  userId?: string;
}

/** Whether a budget of this scope applies to a stream of `subject`. */
export function appliesTo(scope: BudgetScope, subject: BudgetSubject): boolean {
  if (scope.type === 'tenant') return true;
  if (scope.type === 'apiKey') return scope.id === subject.apiKeyId;
  return subject.userId !== undefined && scope.id === subject.userId;
}

/** The alert kind of a threshold: `budget.<period>.<percent>` for the tenant, `budget.<scope>:<id>.<period>.<percent>` for a key or user. */
export function budgetAlertKind(scope: BudgetScope, period: string, threshold: number): string {
  return scope.type === 'tenant' ? `budget.${period}.${threshold}` : `budget.${scope.type}:${scope.id}.${period}.${threshold}`;
}

/** How a budget's scope reads in messages: `tenant`, `API key key_…`, `end user alice`. */
export function describeScope(scope: BudgetScope): string {
  return scope.type === 'tenant' ? 'tenant' : scope.type === 'apiKey' ? `API key ${scope.id}` : `end user ${scope.id}`;
}

/**
 * Checks the budgets that apply to a stream before it starts — the tenant's, its API key's and its
 * end user's — raises an alert (stored in stream_alerts, once per threshold, scope and period) as
 * spend crosses each threshold, and refuses the stream with 402 `budget_exceeded` when a `block`
 * budget is used up, naming that budget (the tightest, when several are). Spend is read from the
 * database at most every `cacheMs` per (tenant, key, user), so a burst of starts costs one query;
 * once a subject has a verdict, the refresh runs in the background (stale-while-revalidate) and no
 * stream start waits on it. The spend is summed in Postgres numeric and judged with core's
 * `evaluateBudget`, exactly. The states it answers with let the stream stop itself mid-way
 * ({@link RunningBudget}).
 */
export function createBudgetGuard(
  store: TwinStore,
  logger: Logger,
  cacheMs = 5_000,
  /** Each evaluation's spend as a fraction of the limit (for `twin_budget_used_ratio`). */
  onUsed?: (budget: BudgetRow, ratio: number) => void,
  /** Each alert raised, once stored (the server sends it to the alert webhooks). */
  onAlert?: (alert: AlertMessage) => void,
  /** A blocking budget was found used up, as it became so (a cluster tells the other instances, see `shareBudgetVerdicts`). */
  onExceeded?: (tenantId: string) => void,
) {
  interface Verdict {
    at: number;
    verdict: Promise<BudgetState[]>;
    /** Set once `verdict` settled: `{ states }` allowed, `{ error }` refused or failed. */
    settled?: { states?: BudgetState[]; error?: unknown };
    /** The previous settled verdict, answering while this one is still being read. */
    stale?: Verdict;
  }
  const cache = new Map<string, Verdict>();
  const keyOf = (s: BudgetSubject) => `${s.tenantId}\u0000${s.apiKeyId}\u0000${s.userId ?? ''}`;

  async function evaluate(subject: BudgetSubject, now: Date): Promise<BudgetState[]> {
    const budgets = (await store.listBudgets(subject.tenantId)).filter((b) => appliesTo(scopeOf(b), subject));
    const states: BudgetState[] = [];
    for (const budget of budgets) states.push(await evaluateOne(budget, now));
    const refused = tightestUsedUp(states);
    if (refused) throw budgetRefusal(refused);
    return states;
  }

  async function evaluateOne(budget: BudgetRow, now: Date): Promise<BudgetState> {
    const scope = scopeOf(budget);
    const from = budgetPeriodBounds(budget.period as Budget['period'], now).from;
    const config = budget.config as { alertAtPercent?: number[]; action?: string };
    const thresholds = (config.alertAtPercent ?? [80, 100]).slice().sort((a, b) => a - b);
    const spent = await store.billedSince(budget.tenantId, budget.currency, from, scope);
    const verdict = judgeBudget(budget.limitAmount, spent, thresholds);
    // A float for the gauge only: the verdict above is exact.
    const limit = Number(budget.limitAmount);
    onUsed?.(budget, limit > 0 ? Number(spent) / limit : verdict.exceeded ? Infinity : 0);
    const state: BudgetState = { budget, scope, spent, thresholds, block: config.action === 'block', from, reached: verdict.reached, exceeded: verdict.exceeded };
    for (const threshold of verdict.reached) await raise(state, threshold, spent, now);
    return state;
  }

  /** Stores and sends the alert of `threshold` unless one was raised for it this period. */
  async function raise(state: BudgetState, threshold: number, spent: string, now: Date): Promise<void> {
    const { budget, scope } = state;
    const kind = budgetAlertKind(scope, budget.period, threshold);
    if (await store.hasAlertSince(budget.tenantId, kind, state.from)) return;
    const who = describeScope(scope);
    const alert: AlertMessage = {
      id: randomId('alert', 9),
      tenantId: budget.tenantId,
      kind,
      severity: threshold >= 100 ? 'critical' : 'warning',
      message: `Spend ${spent} ${budget.currency} reached ${threshold}% of the ${budget.period} budget ${budget.limitAmount} of the ${who}.`,
      data: { spent, limit: budget.limitAmount, currency: budget.currency, threshold, scope: scope.type, ...(scope.type !== 'tenant' ? { scopeId: scope.id } : {}) },
      createdAt: now,
    };
    await store.insertAlert(alert);
    onAlert?.(alert);
    logger.warn({ tenantId: budget.tenantId, scope: scope.type, threshold, period: budget.period }, 'budget threshold reached');
  }

  /**
   * Usage on a model without a price costs an unknown amount: a blocking budget cannot be shown to
   * hold, so such a stream is refused (402) under one instead of being counted as free.
   */
  async function checkUnpriced(subject: BudgetSubject): Promise<void> {
    const budgets = await store.listBudgets(subject.tenantId);
    const blocking = budgets.find((b) => (b.config as { action?: string }).action === 'block' && appliesTo(scopeOf(b), subject));
    if (blocking) {
      const scope = scopeOf(blocking);
      throw new TwinError(
        'budget_exceeded',
        `This model has no price and the ${blocking.period} budget of the ${describeScope(scope)} (${blocking.limitAmount} ${blocking.currency}) blocks: unpriced usage is never counted as free.`,
        { details: { reason: 'unpriced', period: blocking.period, scope: scope.type, ...(scope.type !== 'tenant' ? { scopeId: scope.id } : {}) } },
      );
    }
  }

  return {
    /**
     * Throws `budget_exceeded` (402) when a blocking budget of the subject is used up, or blocks and
     * the model is unpriced. Otherwise answers with the states of the budgets that apply (empty when
     * none, or when they could not be read), for the stream to judge its own running cost against.
     */
    async check(subject: BudgetSubject, options: { unpriced?: boolean } = {}): Promise<BudgetState[]> {
      if (options.unpriced) await checkUnpriced(subject);
      const now = Date.now();
      const key = keyOf(subject);
      let hit = cache.get(key);
      if (!hit || now - hit.at > cacheMs) {
        const previous = hit?.settled ? hit : hit?.stale;
        const fresh: Verdict = { at: now, verdict: evaluate(subject, new Date(now)), ...(previous ? { stale: previous } : {}) };
        fresh.verdict.then(
          (states) => {
            fresh.settled = { states };
            delete fresh.stale;
          },
          (error: unknown) => {
            fresh.settled = { error };
            delete fresh.stale;
            // Told once, as the budget becomes used up (not at every re-read while it stays so).
            if (isExceeded(error) && !isExceeded(previous?.settled?.error)) onExceeded?.(subject.tenantId);
          },
        );
        if (cache.size > 10_000) cache.clear();
        cache.set(key, fresh);
        hit = fresh;
      }
      // Stale-while-revalidate: once a subject has a verdict, a stream start never waits on the
      // database; the refresh (every `cacheMs`) lands in the background.
      let known = hit.settled ?? hit.stale?.settled;
      if (!known) {
        try {
          known = { states: await hit.verdict };
        } catch (error) {
          known = { error };
        }
      }
      if (known.error === undefined) return known.states ?? [];
      if (known.error instanceof TwinError && known.error.code === 'budget_exceeded') throw known.error;
      logger.warn({ err: known.error, tenantId: subject.tenantId }, 'budget check failed; allowing the stream');
      return [];
    },
    /** Raises a threshold's alert for a running stream's spend (once per threshold, scope and period). */
    raise(state: BudgetState, threshold: number, spent: string): Promise<void> {
      return raise(state, threshold, spent, new Date());
    },
    /** Drops the cached verdicts of a tenant (after its budgets changed, or a stream of it hit one). */
    forget(tenantId: string): void {
      const prefix = `${tenantId}\u0000`;
      for (const key of cache.keys()) if (key.startsWith(prefix)) cache.delete(key);
    },
  };
}
export type BudgetGuard = ReturnType<typeof createBudgetGuard>;

function isExceeded(error: unknown): boolean {
  return error instanceof TwinError && error.code === 'budget_exceeded';
}
