import type { Logger } from 'pino';
import type { MessageBus } from './cluster-bus';

/** What the broadcast needs of the budget guard. */
export interface BudgetVerdicts {
  forget(tenantId: string): void;
}

/**
 * Budgets across a cluster. Each instance judges a tenant's budget from the stored records and
 * caches the verdict for a few seconds; alone, a blocking budget lets through at most the streams
 * started before its own next read. Shared, the first instance that reads "used up" (or changes a
 * budget) tells the others on `channel`, and each drops its cached verdict, so its next start for
 * that tenant reads the spend again: no instance goes on admitting from a verdict older than the
 * first one that saw the limit. The cluster then overshoots a hard limit by no more than one
 * instance would (the streams already running, whose spend is not stored yet, are the same
 * overshoot on one instance). A message lost while Redis is away leaves each instance on its own
 * verdicts (refreshed every few seconds), as a single instance.
 */
export async function shareBudgetVerdicts(input: {
  bus: MessageBus;
  channel: string;
  instanceId: string;
  guard: BudgetVerdicts;
  logger: Logger;
}): Promise<{ exceeded(tenantId: string): void; changed(tenantId: string): void; stop(): void }> {
  const { bus, channel, instanceId, guard, logger } = input;
  let unsubscribe: (() => void) | undefined;
  // Tenants re-read because another instance said so: their verdict is not news to pass on.
  const told = new Set<string>();
  try {
    unsubscribe = await bus.subscribe(channel, (message) => {
      const at = message.indexOf(' ');
      if (at <= 0 || message.slice(0, at) === instanceId) return;
      const tenantId = message.slice(at + 1);
      if (told.size > 10_000) told.clear();
      told.add(tenantId);
      guard.forget(tenantId);
    });
  } catch (error) {
    logger.warn({ err: error }, 'could not subscribe to budget verdicts; budgets are judged per instance');
  }
  return {
    /** This instance's read found the tenant's budget used up: the others read it again (unless they told us). */
    exceeded(tenantId) {
      if (told.delete(tenantId)) return;
      void bus.publish(channel, `${instanceId} ${tenantId}`);
    },
    /** The tenant's budgets changed here: the others read them again. */
    changed(tenantId) {
      void bus.publish(channel, `${instanceId} ${tenantId}`);
    },
    stop: () => unsubscribe?.(),
  };
}
