import { requireAdminKey } from '../auth/require-admin-key';
import type { RouteContext } from './stream-routes';

/** Refuses a request whose key is not an admin key, saying what it tried to do. */
export function requireAdmin(ctx: RouteContext, what: string): void {
  requireAdminKey(ctx.auth, `Only admin API keys may ${what}.`);
}

/**
 * The tenant a request acts for: its own, or the `tenantId` it names when its key is an admin key
 * (an operator sets another tenant's profile, budgets or invoices without holding that tenant's key).
 */
export function actingTenant(ctx: RouteContext, requested: string | undefined): string {
  if (requested === undefined || requested === ctx.auth.tenantId) return ctx.auth.tenantId;
  requireAdmin(ctx, 'act for another tenant');
  return requested;
}
