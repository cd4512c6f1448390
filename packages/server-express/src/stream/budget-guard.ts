import { TwinError, budgetPeriodBounds, type Budget } from '@twin/core';
import type { Logger } from 'pino';
import type { AlertMessage } from '../alerts/webhook-dispatcher';
import { randomId } from '../auth/api-key';
import type { BudgetRow, TwinStore } from '../storage/twin-store';
import { judgeBudget } from './judge-budget';

/**
 * Checks a tenant's budgets before a stream starts: raises an alert (stored in stream_alerts, once
 * per threshold and period) as spend crosses each threshold, and refuses new streams with 402
 * `budget_exceeded` when a `block` budget is used up. Spend is read from the database at most every
 * `cacheMs` per tenant, so a burst of starts costs one query; once a tenant has a verdict, the refresh
 * runs in the background (stale-while-revalidate) and no stream start waits on it. The spend is
 * summed in Postgres numeric and judged with core's `evaluateBudget`, exactly.
 */
export function createBudgetGuard(
  store: TwinStore,
  logger: Logger,
  cacheMs = 5_000,
  /** Each evaluation's spend as a fraction of the limit (for `twin_budget_used_ratio`). */
  onUsed?: (budget: BudgetRow, ratio: number) => void,
  /** Each alert raised, once stored (the server sends it to the alert webhooks). */
  onAlert?: (alert: AlertMessage) => void,
) {
  interface Verdict {
    at: number;
    verdict: Promise<void>;
    /** Set once `verdict` settled: `{}` allowed, `{ error }` refused or failed. */
    settled?: { error?: unknown };
    /** The previous settled verdict, answering while this one is still being read. */
    stale?: Verdict;
  }
  const cache = new Map<string, Verdict>();

  async function evaluate(tenantId: string, now: Date): Promise<void> {
    const budgets = await store.listBudgets(tenantId);
    for (const budget of budgets) await evaluateOne(budget, now);
  }

  async function evaluateOne(budget: BudgetRow, now: Date): Promise<void> {
    const from = budgetPeriodBounds(budget.period as Budget['period'], now).from;
    const thresholds = ((budget.config as { alertAtPercent?: number[] }).alertAtPercent ?? [80, 100]).slice().sort((a, b) => a - b);
    const spent = await store.billedSince(budget.tenantId, budget.currency, from);
    const verdict = judgeBudget(budget.limitAmount, spent, thresholds);
    // A float for the gauge only: the verdict above is exact.
    const limit = Number(budget.limitAmount);
    onUsed?.(budget, limit > 0 ? Number(spent) / limit : verdict.exceeded ? Infinity : 0);
    for (const threshold of verdict.reached) {
      const kind = `budget.${budget.period}.${threshold}`;
      if (await store.hasAlertSince(budget.tenantId, kind, from)) continue;
      const alert: AlertMessage = {
        id: randomId('alert', 9),
        tenantId: budget.tenantId,
        kind,
        severity: threshold >= 100 ? 'critical' : 'warning',
        message: `Spend ${spent} ${budget.currency} reached ${threshold}% of the ${budget.period} budget ${budget.limitAmount}.`,
        data: { spent, limit: budget.limitAmount, currency: budget.currency, threshold },
        createdAt: now,
      };
      await store.insertAlert(alert);
      onAlert?.(alert);
      logger.warn({ tenantId: budget.tenantId, threshold, period: budget.period }, 'budget threshold reached');
    }
    if (verdict.exceeded && (budget.config as { action?: string }).action === 'block') {
      throw new TwinError('budget_exceeded', `The ${budget.period} budget of ${budget.limitAmount} ${budget.currency} is used up.`);
    }
  }

  /**
   * Usage on a model without a price costs an unknown amount: a blocking budget cannot be shown to
   * hold, so such a stream is refused (402) under one instead of being counted as free.
   */
  async function checkUnpriced(tenantId: string): Promise<void> {
    const budgets = await store.listBudgets(tenantId);
    const blocking = budgets.find((b) => (b.config as { action?: string }).action === 'block');
    if (blocking) {
      throw new TwinError('budget_exceeded', `This model has no price and the ${blocking.period} budget of ${blocking.limitAmount} ${blocking.currency} blocks: unpriced usage is never counted as free.`, {
        details: { reason: 'unpriced', period: blocking.period },
      });
    }
  }

  return {
    /** Throws `budget_exceeded` (402) when a blocking budget is used up, or blocks and the model is unpriced. */
    async check(tenantId: string, options: { unpriced?: boolean } = {}): Promise<void> {
      if (options.unpriced) await checkUnpriced(tenantId);
      const now = Date.now();
      let hit = cache.get(tenantId);
      if (!hit || now - hit.at > cacheMs) {
        const previous = hit?.settled ? hit : hit?.stale;
        const fresh: Verdict = { at: now, verdict: evaluate(tenantId, new Date(now)), ...(previous ? { stale: previous } : {}) };
        fresh.verdict.then(
          () => {
            fresh.settled = {};
            delete fresh.stale;
          },
          (error: unknown) => {
            fresh.settled = { error };
            delete fresh.stale;
          },
        );
        if (cache.size > 10_000) cache.clear();
        cache.set(tenantId, fresh);
        hit = fresh;
      }
      // Stale-while-revalidate: once a tenant has a verdict, a stream start never waits on the
      // database; the refresh (every `cacheMs`) lands in the background.
      const known = hit.settled ?? hit.stale?.settled;
      let error: unknown;
      if (known) error = known.error;
      else {
        try {
          await hit.verdict;
        } catch (e) {
          error = e;
        }
      }
      if (error === undefined) return;
      if (error instanceof TwinError && error.code === 'budget_exceeded') throw error;
      logger.warn({ err: error, tenantId }, 'budget check failed; allowing the stream');
    },
    forget(tenantId: string): void {
      cache.delete(tenantId);
    },
  };
}
export type BudgetGuard = ReturnType<typeof createBudgetGuard>;
