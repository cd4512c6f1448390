import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { DEFAULT_CLUSTER_KEY_PREFIX, isValidKeyPrefix, type ClusterOptions } from './cluster-options';
import { connectRedis, createRedisConnection } from './redis-connection';
import { TwinError } from '@twin/core';

/**
 * This instance's membership of a cluster: its id, the key prefix, and its Redis connections —
 * `redis` for commands and pipelines, `subscriber` for pub/sub (a subscribed connection can run
 * nothing else). Everything cluster-wide (event logs, control messages, live feeds) builds on it.
 */
export interface ClusterNode {
  readonly instanceId: string;
  readonly keyPrefix: string;
  readonly redis: Redis;
  readonly subscriber: Redis;
  /** A key or channel name of this deployment: the prefix, then the parts joined by `:`. */
  key(...parts: string[]): string;
  /** True while the command connection is ready (false during an outage). */
  readonly healthy: boolean;
  /** Closes both connections (after the streams are done). */
  close(): Promise<void>;
}

/** Connects to the cluster's Redis; throws `config_invalid` naming what is wrong. */
export async function joinCluster(options: ClusterOptions & { instanceId: string }, logger: Logger): Promise<ClusterNode> {
  const keyPrefix = options.keyPrefix ?? DEFAULT_CLUSTER_KEY_PREFIX;
  if (!isValidKeyPrefix(keyPrefix)) {
    throw new TwinError('config_invalid', 'The cluster key prefix must be 1-64 characters of A-Z a-z 0-9 _ . : { } -.', { details: { field: 'cluster.keyPrefix' } });
  }
  const name = (role: string) => `twin:${options.instanceId}:${role}`;
  const redis = await createRedisConnection(options.redisUrl, { name: name('cmd'), logger });
  const subscriber = await createRedisConnection(options.redisUrl, { name: name('sub'), logger });
  try {
    await connectRedis(redis, options.redisUrl);
    await connectRedis(subscriber, options.redisUrl);
  } catch (error) {
    redis.disconnect();
    subscriber.disconnect();
    throw new TwinError('config_invalid', (error as Error).message, { details: { field: 'REDIS_URL' }, cause: error });
  }
  logger.info({ instanceId: options.instanceId, keyPrefix }, 'cluster mode: joined Redis');
  return {
    instanceId: options.instanceId,
    keyPrefix,
    redis,
    subscriber,
    key: (...parts) => keyPrefix + parts.join(':'),
    get healthy() {
      return redis.status === 'ready';
    },
    async close() {
      await Promise.all([redis.quit().catch(() => redis.disconnect()), subscriber.quit().catch(() => subscriber.disconnect())]);
    },
  };
}
