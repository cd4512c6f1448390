import type { Logger } from 'pino';
import { createRedisConnectionSlots, type ConnectionSlots } from '../limits/redis-connection-slots';
import { createRedisRateLimiter, type AsyncRateLimiter } from '../limits/redis-rate-limiter';
import { shareBudgetVerdicts } from './budget-broadcast';
import type { MessageBus } from './cluster-bus';
import type { ClusterNode } from './cluster-node';

/** The limits of one instance that hold across the cluster. */
export interface ClusterLimits {
  /** Global and per-key connection caps. */
  slots: ConnectionSlots;
  /** Requests and tokens per minute. */
  limiter: AsyncRateLimiter;
  /** Budget verdicts shared between instances (see `shareBudgetVerdicts`); wired once the guard exists. */
  shareBudgets(guard: { forget(tenantId: string): void }): Promise<{ exceeded(tenantId: string): void; changed(tenantId: string): void; stop(): void }>;
  stop(): void;
}

/**
 * Builds the cluster-wide limits on `node`'s Redis: connection slots whose ownership lives
 * `leaseMs` after an instance's last heartbeat, rate limit counters per clock-aligned window, and
 * budget verdicts told over pub/sub.
 */
export function createClusterLimits(input: { node: ClusterNode; bus: MessageBus; leaseMs: number; now: () => number; logger: Logger }): ClusterLimits {
  const { node, bus, leaseMs, now, logger } = input;
  const slots = createRedisConnectionSlots({ redis: node.redis, keyPrefix: node.keyPrefix, instanceId: node.instanceId, ttlMs: leaseMs, logger });
  const limiter = createRedisRateLimiter({ redis: node.redis, keyPrefix: node.keyPrefix, now, logger });
  // Written before the first stream: this instance is a member from the start.
  slots.sync().catch(() => {});
  return {
    slots,
    limiter,
    shareBudgets: (guard) => shareBudgetVerdicts({ bus, channel: node.key('budget'), instanceId: node.instanceId, guard, logger }),
    stop: () => slots.stop(),
  };
}
