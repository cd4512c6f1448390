import { describe, expect, it } from 'vitest';
import { isTwinError } from '../errors/twin-error';
import { budgetExceededError, budgetPeriodBounds, budgetSchema, evaluateBudget, priceRunningStream } from './budget';
import { StreamMeter } from './stream-meter';
import { testBillingConfig } from './test-billing-config';

const budget = budgetSchema.parse({ id: 'b1', scope: { type: 'apiKey', id: 'k1' }, period: 'month', softLimit: '8', hardLimit: '10' });

describe('evaluateBudget', () => {
  it.each([
    ['7.99', '0', 'ok'],
    ['7.99', '0.01', 'soft-alert'], // reaching the soft limit alerts
    ['9.99', '0.009999', 'soft-alert'],
    ['9.99', '0.01', 'hard-stop'], // reaching the hard limit stops
    ['12', '0', 'hard-stop'],
  ])('spent %s + running %s → %s', (spent, running, status) => {
    expect(evaluateBudget(budget, spent, running).status).toBe(status);
  });

  it('reports spent and remaining exactly', () => {
    expect(evaluateBudget(budget, '9.99', '0.011')).toEqual({ status: 'hard-stop', spent: '10.001', remaining: '-0.001', limit: '10', reason: 'limit' });
    expect(evaluateBudget(budget, '0.1', '0.2')).toEqual({ status: 'ok', spent: '0.3', remaining: '9.7' });
  });

  it('needs at least one limit', () => {
    expect(() => budgetSchema.parse({ scope: { type: 'user', id: 'u' }, period: 'day' })).toThrow(/softLimit, a hardLimit or both/);
  });
});

describe('pricing a running stream against its budget', () => {
  it('stops the stream once the cost so far reaches the hard limit, with a clear error', () => {
    const config = testBillingConfig({ tokens: { inputPer1K: '0', outputPer1K: '1000' } }); // 1 per output token
    const tight = budgetSchema.parse({ scope: { type: 'user', id: 'ann' }, period: 'day', hardLimit: '5' });
    const meter = new StreamMeter({ startedAt: 0 });
    const statuses: string[] = [];
    for (const text of ['abcd', 'efgh', 'ijkl']) {
      meter.recordPart({ type: 'text-delta', text }); // 4 chars ≈ 1 token each
      statuses.push(evaluateBudget(tight, '3', priceRunningStream(meter.snapshot(10), config).exact.total).status);
    }
    expect(statuses).toEqual(['ok', 'hard-stop', 'hard-stop']);
    const error = budgetExceededError(tight, evaluateBudget(tight, '3', '2'));
    expect(isTwinError(error) && error.code).toBe('budget_exceeded');
    expect(error.status).toBe(402);
    expect(error.message).toMatch(/daily budget of this user \(5 USD\) is used up: 5 USD spent/);
  });
});

describe('budgetPeriodBounds', () => {
  it('gives the UTC day, ISO week and month around a moment', () => {
    const at = Date.UTC(2025, 5, 18, 15, 30); // Wednesday 18 June 2025
    expect(budgetPeriodBounds('day', at)).toEqual({ from: new Date('2025-06-18T00:00:00Z'), to: new Date('2025-06-19T00:00:00Z') });
    expect(budgetPeriodBounds('week', at)).toEqual({ from: new Date('2025-06-16T00:00:00Z'), to: new Date('2025-06-23T00:00:00Z') });
    expect(budgetPeriodBounds('month', at)).toEqual({ from: new Date('2025-06-01T00:00:00Z'), to: new Date('2025-07-01T00:00:00Z') });
    expect(budgetPeriodBounds('week', Date.UTC(2025, 5, 22, 23)).from).toEqual(new Date('2025-06-16T00:00:00Z')); // Sunday belongs to the week before
  });
});

describe('evaluateBudget — unpriced usage is never free', () => {
  it('stops unpriced usage under a hard limit and alerts under a soft one, whatever was spent', () => {
    const hard = budgetSchema.parse({ scope: { type: 'apiKey', id: 'k' }, period: 'day', hardLimit: '10' });
    expect(evaluateBudget(hard, '0', '0', { unpriced: true })).toMatchObject({ status: 'hard-stop', reason: 'unpriced' });
    const soft = budgetSchema.parse({ scope: { type: 'user', id: 'u' }, period: 'day', softLimit: '10' });
    expect(evaluateBudget(soft, '0', '0', { unpriced: true })).toMatchObject({ status: 'soft-alert', reason: 'unpriced' });
  });
});
