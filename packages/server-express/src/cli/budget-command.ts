import { parseArgs } from 'node:util';
import { TwinError } from '@twin/core';
import { budgetInputSchema } from '../http/schemas';
import { budgetId } from '../http/billing-routes';
import { scopeOf } from '../storage/budget-store';
import type { TwinStore } from '../storage/twin-store';
import { callServer, type RunningServer } from './running-server';

export const BUDGET_HELP = `  twin-server budget set --tenant <id> [--key <key-id> | --user <end-user>] --period day|month --limit <decimal>
                    [--currency USD] [--action alert|block] [--alert 80,100]   a tenant's, key's or end user's budget
  twin-server budget list --tenant <id>
                    (through the running server when one owns the database: --url / TWIN_URL, --admin-key / TWIN_ADMIN_KEY)`;

/** One budget as both the database and the API give it, for the printed list. */
interface BudgetLine {
  scope: { type: string; id?: string };
  period: string;
  limit: string;
  currency: string;
  action?: string;
  alertAtPercent?: number[];
}

const printLine = (b: BudgetLine) =>
  `${b.scope.type === 'tenant' ? 'tenant' : `${b.scope.type}:${b.scope.id}`}\t${b.period}\t${b.limit} ${b.currency}\t${b.action ?? 'alert'}\t${(b.alertAtPercent ?? []).join(',')}\n`;

/** Where the command runs: through a running server's API when one owns the database, else on the database itself. */
export interface BudgetCommandTarget {
  readonly server: RunningServer | undefined;
  withStore<T>(fn: (store: TwinStore) => Promise<T>): Promise<T>;
}

/**
 * `twin-server budget …`; returns the exit code. A running server (the data folder's lock, or `--url`
 * / `TWIN_URL`) gets the budget over `PUT /api/billing/budgets?tenantId=` and applies it at once;
 * with no server, the budget is written to the database and a server started later reads it.
 */
export async function budgetCommand(sub: string | undefined, args: string[], target: (flags: { url?: string | undefined; adminKey?: string | undefined }) => BudgetCommandTarget, out: (s: string) => void): Promise<number> {
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
      url: { type: 'string' },
      'admin-key': { type: 'string' },
    },
  });
  const tenantId = values.tenant;
  if (!tenantId) throw new TwinError('invalid_argument', `budget ${sub} needs --tenant <id>`);
  const { server, withStore } = target({ url: values.url, adminKey: values['admin-key'] });
  const query = `?tenantId=${encodeURIComponent(tenantId)}`;
  if (sub === 'list') {
    const budgets: BudgetLine[] = server
      ? (await callServer<{ budgets: BudgetLine[] }>(server, 'GET', `/api/billing/budgets${query}`)).budgets
      : await withStore(async (store) =>
          (await store.listBudgets(tenantId)).map((b) => ({ scope: scopeOf(b), period: b.period, limit: b.limitAmount, currency: b.currency, ...(b.config as { action?: string; alertAtPercent?: number[] }) })),
        );
    for (const b of budgets) out(printLine(b));
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
  const said = `budget set: ${input.scope.type === 'tenant' ? `tenant ${tenantId}` : `${input.scope.type} ${input.scope.id}`}, ${input.period}, ${input.limit} ${input.currency}, ${input.action}`;
  if (server) {
    await callServer(server, 'PUT', `/api/billing/budgets${query}`, input);
    out(`${said} (applied by the server at ${server.url})\n`);
    return 0;
  }
  await withStore((store) =>
    store.upsertBudget({
      id: budgetId(tenantId, input.scope, input.period),
      tenantId,
      scopeType: input.scope.type,
      scopeId: input.scope.type === 'tenant' ? '' : input.scope.id,
      period: input.period,
      limitAmount: input.limit,
      currency: input.currency,
      config: { alertAtPercent: input.alertAtPercent, action: input.action },
      updatedAt: new Date(),
    }),
  );
  out(`${said} (written to the database; a server on it reads it within 5 s)\n`);
  return 0;
}
