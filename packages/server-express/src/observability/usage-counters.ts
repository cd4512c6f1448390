import { Counter, Gauge, type Registry } from 'prom-client';
import type { BudgetRow } from '../storage/twin-store';
import type { PricingBook } from '../stream/pricing-book';

/**
 * Token and cost counters by provider, model and tenant (`twin_tokens_total`, `twin_cost_total`),
 * fed by every bill the pricing book computes: each stream is billed exactly once (at its end, or by
 * the reconcile after a crash), so the counters add each stream once.
 *
 * The cost counter is a Prometheus float: good for dashboards and alerts, never for money. The
 * exact amounts are the billing records (`numeric`) and `/api/billing/report`.
 */
export function countUsage(pricing: PricingBook, registry: Registry): PricingBook {
  const registers = [registry];
  const tokens = new Counter({
    name: 'twin_tokens_total',
    help: 'Tokens billed, by provider, model, tenant and kind (input includes cache reads and writes; output includes reasoning).',
    labelNames: ['provider', 'model', 'tenant', 'kind'],
    registers,
  });
  const cost = new Counter({
    name: 'twin_cost_total',
    help: 'Billed amount (bill total, in the bill currency), by provider, model, tenant and currency. A float for monitoring; the billing records are exact.',
    labelNames: ['provider', 'model', 'tenant', 'currency'],
    registers,
  });
  return {
    list: () => pricing.list(),
    put: (config) => pricing.put(config),
    warm: (tenantId, at) => pricing.warm(tenantId, at),
    reload: () => pricing.reload(),
    unpricedPolicy: pricing.unpricedPolicy,
    check: (provider, model, at) => pricing.check(provider, model, at),
    unpriced: (models, at) => pricing.unpriced(models, at),
    forgetProfile: (tenantId) => pricing.forgetProfile(tenantId),
    quote: (input) => pricing.quote(input),
    bill(input) {
      const bill = pricing.bill(input);
      const labels = { provider: input.provider, model: input.model, tenant: input.tenantId };
      const usage = input.usage;
      if (usage?.inputTokens !== undefined) tokens.inc({ ...labels, kind: 'input' }, usage.inputTokens);
      if (usage?.outputTokens !== undefined) tokens.inc({ ...labels, kind: 'output' }, usage.outputTokens);
      if (bill) {
        const total = Number(bill.lines.total);
        // A zero bill still creates the series, so a dashboard shows the model at 0 rather than nothing.
        cost.inc({ ...labels, currency: bill.currency }, Number.isFinite(total) && total > 0 ? total : 0);
      }
      return bill;
    },
  };
}

/**
 * `twin_budget_used_ratio{tenant,scope,period,currency}`: the spend of each budget's current period
 * over its limit (1 = used up), as of the last budget check (checks run as streams start, at most
 * every 5 s per tenant, key and end user). `scope` is `tenant`, `apiKey:<key id>` or `user:<end user>`
 * (one series per budget an operator set, so its cardinality is theirs). The "cost over limit" alert reads it.
 */
export function budgetUsageGauge(registry: Registry): (budget: BudgetRow, ratio: number) => void {
  const gauge = new Gauge({
    name: 'twin_budget_used_ratio',
    help: "Spend of each budget's current period over its limit (1 = used up), as of the last budget check.",
    labelNames: ['tenant', 'scope', 'period', 'currency'],
    registers: [registry],
  });
  return (budget, ratio) => {
    const scope = budget.scopeType === 'apiKey' || budget.scopeType === 'user' ? `${budget.scopeType}:${budget.scopeId}` : 'tenant';
    gauge.set({ tenant: budget.tenantId, scope, period: budget.period, currency: budget.currency }, Number.isFinite(ratio) ? ratio : 1e9);
  };
}
