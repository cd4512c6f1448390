import type { StreamConfig } from '@twin/core';
import type { NetworkSignals } from '../observability/network-signals';
import type { ClusterStreams } from '../cluster/cluster-streams';
import type { ConnectionSlots } from '../limits/redis-connection-slots';

// The hub's limits in their own file: the service builds them from its options, the hub and its
// connections read them.

/** Connection and lifetime limits of the hub. */
export interface StreamHubOptions {
  config: StreamConfig;
  /** Bytes queued per connection under backpressure before the slow-client policy (default 1 MiB). */
  maxQueuedBytesPerConnection: number;
  /**
   * How long a stream whose client disconnected keeps running, waiting for a resume, before its
   * provider is aborted and it is billed `client_abort` (the service's default is 30 s; 0 aborts at once).
   */
  detachGraceMs: number;
  /**
   * Rows waiting for the database (audit chunks and events) above which new streams are refused
   * with 503 + Retry-After until storage catches up (default 20,000). Queued rows are never dropped,
   * so without this a database slower than the streams (an embedded one starved of CPU) would grow
   * memory without bound.
   */
  maxStorageBacklog?: number;
  /**
   * Event-loop lag (p99 of the last quarter second, ms) above which new streams are refused with
   * 503 + Retry-After, so the streams already running keep their latency (load shedding). Off
   * (undefined) by default.
   */
  maxEventLoopLagMs?: number;
  /** The current event-loop lag in ms (required with `maxEventLoopLagMs`). */
  eventLoopLagMs?: () => number;
  /** Where drops, resumes, write stalls and queued bytes are recorded (the admin traffic view, `/metrics`). */
  signals?: NetworkSignals;
  /** Cluster mode: the shared event log, relays and control messages (see docs/deployment.md). */
  cluster?: ClusterStreams;
  /** Cluster mode: the connection caps counted across instances (see {@link StreamHub.takeClusterSlot}). */
  slots?: ConnectionSlots;
}
