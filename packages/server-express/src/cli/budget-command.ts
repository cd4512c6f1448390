import { parseArgs } from 'node:util';
import { TwinError } from '@twin/core';
import { budgetInputSchema } from '../http/schemas';
import { budgetId } from '../http/billing-routes';
import { scopeOf } from '../storage/budget-store';
import type { TwinStore } from '../storage/twin-store';

export const BUDGET_HELP = `  twin-server budget set --tenant <id> [--key <key-id> | --user <end-user>] --period day|month --limit <decimal>
                    [--currency USD] [--action alert|block] [--alert 80,100]   a tenant's, key's or end user's budget
  twin-server budget list --tenant <id>`;

/** `twin-server budget …` (straight to the database, as `invoice` and `profile`); returns the exit code. */
export async function budgetCommand(sub: string | undefined, args: string[], withStore: <T>(fn: (store: TwinStore) => Promise<T>) => Promise<T>, out: (s: string) => void): Promise<number> {
  if (sub !== 'set' && sub !== 'list') return 2;
  const { values } = parseArgs({
    args,
    options: {
      tenant: { type: 'string' },
      key: { type: 'string' },
      user: { type: 'string' },
      period: { type: 'string' },
      limit: { type: 'string' },
      currency: { type: 'string' },
      action: { type: 'string' },
      alert: { type: 'string' },
    },
  });
  const tenantId = values.tenant;
  if (!tenantId) throw new TwinError('invalid_argument', `budget ${sub} needs --tenant <id>`);
  return withStore(async (store) => {
    if (sub === 'list') {
      for (const b of await store.listBudgets(tenantId)) {
        const scope = scopeOf(b);
        const config = b.config as { action?: string; alertAtPercent?: number[] };
        out(`${scope.type === 'tenant' ? 'tenant' : `${scope.type}:${scope.id}`}\t${b.period}\t${b.limitAmount} ${b.currency}\t${config.action ?? 'alert'}\t${(config.alertAtPercent ?? []).join(',')}\n`);
      }
      return 0;
    }
    if (values.key && values.user) throw new TwinError('invalid_argument', 'budget set takes --key or --user, not both');
    const scope = values.key ? { type: 'apiKey', id: values.key } : values.user ? { type: 'user', id: values.user } : { type: 'tenant' };
    const parsed = budgetInputSchema.safeParse({
      scope,
      period: values.period,
      limit: values.limit,
      ...(values.currency ? { currency: values.currency } : {}),
      ...(values.action ? { action: values.action } : {}),
      ...(values.alert ? { alertAtPercent: values.alert.split(',').map(Number) } : {}),
    });
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new TwinError('invalid_argument', `Invalid budget: ${issue.path.join('.') || 'input'}: ${issue.message}`);
    }
    const input = parsed.data;
    await store.upsertBudget({
      id: budgetId(tenantId, input.scope, input.period),
      tenantId,
      scopeType: input.scope.type,
      scopeId: input.scope.type === 'tenant' ? '' : input.scope.id,
      period: input.period,
      limitAmount: input.limit,
      currency: input.currency,
      config: { alertAtPercent: input.alertAtPercent, action: input.action },
      updatedAt: new Date(),
    });
    out(`budget set: ${input.scope.type === 'tenant' ? `tenant ${tenantId}` : `${input.scope.type} ${input.scope.id}`}, ${input.period}, ${input.limit} ${input.currency}, ${input.action} (a running server reads it within 5 s)\n`);
    return 0;
  });
}
