import { describe, expect, it } from 'vitest';
import type { BudgetScope } from '../storage/budget-store';
import { budgetRefusal, tightestUsedUp, type BudgetState } from './budget-state';

function state(scope: BudgetScope, limit: string, spent: string, block = true): BudgetState {
  const scopeId = scope.type === 'tenant' ? '' : scope.id;
  return {
    budget: { id: `b_${scope.type}_${limit}`, tenantId: 't', scopeType: scope.type, scopeId, period: 'month', limitAmount: limit, currency: 'USD', config: {}, updatedAt: new Date(0) },
    scope,
    spent,
    thresholds: [],
    block,
    from: new Date(0),
    reached: [],
    exceeded: Number(spent) >= Number(limit),
  };
}

describe('tightestUsedUp', () => {
  it('names the used-up blocking budget with the least left, exactly (no float)', () => {
    const tenant = state({ type: 'tenant' }, '10', '10.000000000000000001');
    const key = state({ type: 'apiKey', id: 'key_a' }, '5', '5.000000000000000002');
    expect(tightestUsedUp([tenant, key])).toBe(key);
    expect(tightestUsedUp([key, tenant])).toBe(key);
  });
  it('breaks a tie by the most specific scope: end user, then key, then tenant', () => {
    const tenant = state({ type: 'tenant' }, '1', '1');
    const key = state({ type: 'apiKey', id: 'key_a' }, '2', '2');
    const user = state({ type: 'user', id: 'ann' }, '3', '3');
    expect(tightestUsedUp([tenant, key, user])).toBe(user);
    expect(tightestUsedUp([tenant, key])).toBe(key);
  });
  it('ignores budgets that only alert, and those not used up', () => {
    expect(tightestUsedUp([state({ type: 'tenant' }, '1', '2', false), state({ type: 'user', id: 'u' }, '3', '2.99')])).toBeUndefined();
  });
  it("refuses with 402 details naming the scope, never anything but ids", () => {
    const error = budgetRefusal(state({ type: 'user', id: 'ann' }, '3', '3.5'));
    expect(error.status).toBe(402);
    expect(error.message).toBe('The month budget of end user ann (3 USD) is used up: 3.5 USD spent.');
    expect(error.details).toEqual({ budgetId: 'b_user_3', scope: 'user', scopeId: 'ann', period: 'month', limit: '3', currency: 'USD', spent: '3.5' });
  });
});
