import { estimateInputTokens, mergeUsage, sumDecimals, type Bill, type StreamPart, type TwinErrorPayload, type Usage } from '@twin/core';
import type { StopReason } from './stop-reason';
import { budgetStopError, tightestUsedUp, type BudgetState } from './budget-state';
import { judgeBudget } from './judge-budget';
import type { LiveStreamDeps, LiveStreamInit } from './live-stream-deps';
import type { BillInput } from './pricing-book';

/** What a running budget check needs from the server. */
export interface RunningBudgetDeps {
  /** Prices the stream so far (`PricingBook.quote`). */
  quote(input: BillInput): Bill;
  /** Raises a threshold's alert (stored once per threshold, scope and period; sent to the webhooks). */
  raise(state: BudgetState, threshold: number, spent: string): Promise<void>;
  /** The stream was stopped by a budget: later starts must not go on a stale verdict. */
  onStop(state: BudgetState): void;
  /** An alert could not be stored, or the stream could not be priced (it is then no longer judged). */
  onError(error: unknown): void;
}

/** Which stream is judged: its tenant, start, prompt estimate, and the provider and model asked for. */
export interface RunningBudgetStream {
  tenantId: string;
  startedAt: Date;
  provider: string;
  model: string;
  /** Prompt tokens counted at start (the tokenizer's estimate), until the provider reports its own. */
  inputTokensEstimate: number | undefined;
}

// A rough count of generated tokens before the provider reports usage (the documented heuristic of
// core's StreamMeter without a tokenizer): tokenizing every delta would cost more than the check.
const CHARS_PER_TOKEN = 4;

/**
 * The budgets of one running stream, judged as it runs: the period's spend (read at start) plus
 * what this stream has cost so far (its usage — the provider's where reported, else estimated —
 * priced by the same calculator as the final bill, rounded as billed) against each budget in the
 * bill's currency. A threshold reached raises its alert; a `block` budget used up stops the stream
 * with `budget_exceeded` (end reason `budget_stop`, billed up to that point), the tightest one named.
 * Other running streams of the same scope are not counted here: each sees the spend billed when it
 * started (docs/server.md, "Budgets").
 */
export class RunningBudget {
  private readonly states: BudgetState[];
  private readonly alerted: Set<string> = new Set();
  private outputChars = 0;
  private bytes = 0;
  private connections = 1;
  private failed = false;

  constructor(
    states: readonly BudgetState[],
    private readonly stream: RunningBudgetStream,
    private readonly deps: RunningBudgetDeps,
  ) {
    this.states = [...states];
    for (const state of states) for (const t of state.reached) this.alerted.add(`${state.budget.id}|${t}`);
  }

  /** Whether there is anything to judge (a blocking budget, or a threshold not reached yet). */
  static worthWatching(states: readonly BudgetState[]): boolean {
    return states.some((s) => s.block || s.thresholds.some((t) => !s.reached.includes(t)));
  }

  /** Bytes written to the client (billed per MB). */
  written(bytes: number): void {
    this.bytes += bytes;
  }

  /** A client reconnected (billed per connection). */
  resumed(): void {
    this.connections++;
  }

  /**
   * Counts `part` and judges the stream's cost so far; answers the stop reason when a blocking
   * budget is used up. `reported` is the provider's usage so far, `served` the provider and model
   * that answer (a fallback chain may have moved on).
   */
  judge(part: StreamPart, now: number, reported: Usage | undefined, served: { provider?: string; model?: string }): StopReason | undefined {
    if (part.type === 'text-delta' || part.type === 'reasoning-delta') this.outputChars += part.text.length;
    else if (part.type === 'tool-call-delta') this.outputChars += part.argsTextDelta.length;
    else if (part.type !== 'usage' && part.type !== 'tool-call-start') return undefined;
    if (this.failed) return undefined;
    let bill: Bill;
    try {
      bill = this.deps.quote({
        tenantId: this.stream.tenantId,
        provider: served.provider ?? this.stream.provider,
        model: served.model ?? this.stream.model,
        startedAt: this.stream.startedAt,
        usage: this.usageSoFar(reported),
        durationMs: now - this.stream.startedAt.getTime(),
        bytes: this.bytes,
        connections: this.connections,
      });
    } catch (error) {
      // The final bill reports its own failure; a check that cannot price must not end the stream.
      this.failed = true;
      this.deps.onError(error);
      return undefined;
    }
    const running = bill.lines.total;
    const usedUp: BudgetState[] = [];
    for (const state of this.states) {
      if (state.budget.currency !== bill.currency) continue;
      const spent = sumDecimals([state.spent, running]);
      const verdict = judgeBudget(state.budget.limitAmount, spent, state.thresholds);
      for (const threshold of verdict.reached) {
        const key = `${state.budget.id}|${threshold}`;
        if (this.alerted.has(key)) continue;
        this.alerted.add(key);
        this.deps.raise(state, threshold, spent).catch((error: unknown) => this.deps.onError(error));
      }
      if (state.block && verdict.exceeded) usedUp.push({ ...state, spent, exceeded: true });
    }
    const tightest = tightestUsedUp(usedUp);
    if (!tightest) return undefined;
    this.deps.onStop(tightest);
    const error: TwinErrorPayload = budgetStopError(tightest, tightest.spent);
    return { endReason: 'budget_stop', status: 'error', error };
  }

  /** The provider's counts where it reported them, else estimates (flagged so). */
  private usageSoFar(reported: Usage | undefined): Usage {
    const estimate: Usage = { outputTokens: Math.ceil(this.outputChars / CHARS_PER_TOKEN), estimated: true };
    if (this.stream.inputTokensEstimate !== undefined) estimate.inputTokens = this.stream.inputTokensEstimate;
    return mergeUsage(estimate, reported) ?? estimate;
  }
}

/** The running budget of a stream about to start, when its budgets could stop it or alert. */
export function runningBudgetFor(init: LiveStreamInit, deps: LiveStreamDeps, startedAt: Date): RunningBudget | undefined {
  if (!init.budgets || !deps.budgets || !RunningBudget.worthWatching(init.budgets)) return undefined;
  const stream: RunningBudgetStream = {
    tenantId: init.tenantId,
    startedAt,
    provider: init.provider.name,
    model: init.model,
    inputTokensEstimate: deps.countTokens ? estimateInputTokens(init.request, deps.countTokens) : undefined,
  };
  return new RunningBudget(init.budgets, stream, { ...deps.budgets, quote: (input) => deps.pricing.quote(input) });
}
