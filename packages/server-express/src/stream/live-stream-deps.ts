import type { Provider, ProviderRequest, StreamConfig, StreamEvent, TokenCounter } from '@twin/core';
import type { Logger } from 'pino';
import type { ServerMetrics } from '../observability/server-metrics';
import type { StreamStatsWindow } from '../observability/stream-stats';
import type { TwinStore } from '../storage/twin-store';
import type { SealingFactory } from './connection-sealing';
import type { LiveStream } from './live-stream';
import type { BudgetState } from './budget-state';
import type { PricingBook } from './pricing-book';
import type { RunningBudgetDeps } from './running-budget';
import type { TickScheduler } from './tick-scheduler';

/**
 * Where a stream's events go for other instances (cluster mode): the Redis event log. Calls only
 * queue; the log sends them after the turn's socket writes.
 */
export interface StreamLogSink {
  /** A stream starts here: what other instances need to resume or control it. */
  open(stream: { streamId: string; tenantId: string; encrypted: boolean; sealing?: SealingSpec; summary: Record<string, unknown> }): void;
  append(streamId: string, events: readonly StreamEvent[], encrypted: boolean): void;
  end(streamId: string, tenantId: string): void;
  /** Tells every other reader of the stream (relays on other instances) that `conn` now reads it. */
  announce(streamId: string, conn: string): void;
}

/** What a live stream needs from the server around it. */
export interface LiveStreamDeps {
  store: TwinStore;
  pricing: PricingBook;
  metrics: ServerMetrics;
  stats: StreamStatsWindow;
  logger: Logger;
  config: StreamConfig;
  /** Counts prompt tokens at start, stored so a crash can still be billed with an estimate. */
  countTokens?: TokenCounter;
  /** Wakes the stream for its age-based flushes (one timer shared by every stream). */
  scheduler: TickScheduler;
  /** Keep an audit copy of every event in stream_chunks (default true). */
  persistChunks: boolean;
  /** The stream ended (its connection slot and running count are released). */
  onFinished(stream: LiveStream): void;
  /** Hold content until the billing record's opening commits (crash safety; default true). */
  holdContentUntilRecorded?: boolean;
  /** Longest the first content waits for the billing record's opening to commit (default 10 s). */
  openingTimeoutMs?: number;
  /** Alerts and stops of the budgets a running stream is judged against (see {@link RunningBudget}). */
  budgets?: Omit<RunningBudgetDeps, 'quote'>;
  /** Cluster mode: the shared event log (resume on any instance). */
  log?: StreamLogSink;
}

/** The sealing a client asked for, enough for another instance to seal its resume the same way (never a key). */
export interface SealingSpec {
  codec?: string;
  alg?: string;
  keyId?: string;
}

/** Identity and request of a stream. */
export interface LiveStreamInit {
  id: string;
  billingRecordId: string;
  tenantId: string;
  apiKeyId: string;
  provider: Provider;
  model: string;
  purpose?: string;
  metadata?: Record<string, string>;
  /** The end user (the request's `user`): on the billing record, grouped by in reports, budgeted. */
  userId?: string;
  request: ProviderRequest;
  /** Payload codec / cipher for every connection of this stream. */
  sealing?: SealingFactory;
  /** The budgets that apply to the stream, as the guard read them at start (judged as it runs). */
  budgets?: readonly BudgetState[];
  /** The stream is encrypted: its events are encrypted at rest in the cluster's log too. */
  encrypted?: boolean;
}
