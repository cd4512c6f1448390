import { calculateBill, type StreamPart } from '@twin/core';
import { testBillingConfig } from '@twin/core/testing';
import { describe, expect, it } from 'vitest';
import type { BudgetScope } from '../storage/budget-store';
import type { BudgetState } from './budget-state';
import { RunningBudget } from './running-budget';

// $0.001 per output token, nothing else: a running cost is the tokens sent so far.
const CONFIG = testBillingConfig({ provider: 'p', tokens: { inputPer1K: '0', outputPer1K: '1' } });

function state(scope: BudgetScope, limit: string, spent: string, options: { block?: boolean; thresholds?: number[]; currency?: string } = {}): BudgetState {
  return {
    budget: { id: `b_${scope.type}`, tenantId: 't', scopeType: scope.type, scopeId: scope.type === 'tenant' ? '' : scope.id, period: 'day', limitAmount: limit, currency: options.currency ?? 'USD', config: {}, updatedAt: new Date(0) },
    scope,
    spent,
    thresholds: options.thresholds ?? [],
    block: options.block ?? true,
    from: new Date(0),
    reached: [],
    exceeded: false,
  };
}

function watch(states: BudgetState[]) {
  const raised: string[] = [];
  const stopped: string[] = [];
  const budget = new RunningBudget(
    states,
    { tenantId: 't', startedAt: new Date(0), provider: 'p', model: 'm', inputTokensEstimate: 10 },
    {
      quote: (input) => calculateBill({ ...(input.usage ? { usage: input.usage } : {}), durationMs: input.durationMs, bytes: input.bytes, connections: input.connections }, CONFIG),
      raise: async (s, threshold, spent) => void raised.push(`${s.scope.type}:${threshold}:${spent}`),
      onStop: (s) => void stopped.push(s.scope.type),
      onError: (error) => {
        throw error;
      },
    },
  );
  return { budget, raised, stopped };
}

// 4 characters count as one output token until the provider reports usage.
const text = (chars: number): StreamPart => ({ type: 'text-delta', text: 'x'.repeat(chars) });

describe('RunningBudget', () => {
  it('stops the stream when spent + its cost so far reaches the limit exactly, and not one token before', () => {
    const { budget, stopped } = watch([state({ type: 'user', id: 'ann' }, '0.01', '0.004')]);
    // 5 tokens: 0.004 + 0.005 < 0.01.
    expect(budget.judge(text(20), 1, undefined, {})).toBeUndefined();
    // 6 tokens: 0.004 + 0.006 = 0.01, met exactly: used up.
    const stop = budget.judge(text(4), 2, undefined, {});
    expect(stop).toMatchObject({ endReason: 'budget_stop', status: 'error', error: { code: 'budget_exceeded', retryable: false } });
    expect(stop!.error.message).toContain('end user ann (0.01 USD)');
    expect(stopped).toEqual(['user']);
  });

  it("prices the provider's reported counts over the estimate", () => {
    const { budget } = watch([state({ type: 'tenant' }, '0.1', '0')]);
    expect(budget.judge({ type: 'usage', usage: { outputTokens: 99 } }, 1, { outputTokens: 99 }, {})).toBeUndefined();
    expect(budget.judge({ type: 'usage', usage: { outputTokens: 100 } }, 2, { outputTokens: 100 }, {})).toMatchObject({ endReason: 'budget_stop' });
  });

  it('raises each threshold once as the cost crosses it, for budgets that only alert too', () => {
    const { budget, raised, stopped } = watch([state({ type: 'apiKey', id: 'key_a' }, '0.01', '0', { block: false, thresholds: [50, 100] })]);
    budget.judge(text(16), 1, undefined, {});
    budget.judge(text(4), 2, undefined, {});
    budget.judge(text(4), 3, undefined, {});
    budget.judge(text(400), 4, undefined, {});
    expect(raised).toEqual(['apiKey:50:0.005000', 'apiKey:100:0.106000']);
    expect(stopped).toEqual([]);
  });

  it('names the tightest of several used-up budgets, and skips budgets in another currency than the bill', () => {
    const { budget } = watch([state({ type: 'tenant' }, '1', '0.995'), state({ type: 'user', id: 'ann' }, '0.001', '0', { currency: 'EUR' }), state({ type: 'apiKey', id: 'key_a' }, '0.5', '0.499')]);
    const stop = budget.judge(text(40), 1, undefined, {});
    // Both USD budgets are used up (tenant 0.995 + 0.01 ≥ 1, key 0.499 + 0.01 ≥ 0.5); the key is 0.009 over, the tenant 0.005.
    expect(stop!.error.message).toContain('API key key_a');
  });

  it('needs no watching without a blocking budget or a threshold left to reach', () => {
    expect(RunningBudget.worthWatching([state({ type: 'tenant' }, '1', '0', { block: false })])).toBe(false);
    expect(RunningBudget.worthWatching([state({ type: 'tenant' }, '1', '0', { block: false, thresholds: [80] })])).toBe(true);
    expect(RunningBudget.worthWatching([state({ type: 'tenant' }, '1', '0')])).toBe(true);
  });
});
