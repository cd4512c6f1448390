/**
 * Cluster mode: several stateless instances sharing one Postgres and one Redis, behind any load
 * balancer (no sticky sessions). Without it (the default) the server is one process and keeps
 * everything in memory, exactly as before.
 */
export interface ClusterOptions {
  /** Redis server every instance shares (`redis://host:port/db`, `rediss://` for TLS). */
  redisUrl: string;
  /**
   * Prefix of every Redis key and channel of this deployment (default `twin:`), so two deployments
   * (or parallel test runs) can share one Redis without seeing each other.
   */
  keyPrefix?: string;
  /**
   * This instance's id, unique in the cluster (default: the store's `instanceId`). Billing records
   * it opens carry it; other instances address its streams' control messages to it.
   */
  instanceId?: string;
  /**
   * How long an instance's lease (Postgres) and connection slots (Redis) outlive its last heartbeat
   * (default 15 s; heartbeats every third of it). A killed instance's open billing records are
   * reconciled by a survivor, and its slots freed, within about `leaseMs` plus one heartbeat.
   */
  leaseMs?: number;
}

/** The default key prefix. */
export const DEFAULT_CLUSTER_KEY_PREFIX = 'twin:';

/** What a prefix may look like: printable, no spaces (it is part of every key and channel name). */
const PREFIX_PATTERN = /^[A-Za-z0-9_.:{}-]{1,64}$/;

/** True when `prefix` is usable as a key prefix. */
export function isValidKeyPrefix(prefix: string): boolean {
  return PREFIX_PATTERN.test(prefix);
}
