import { TwinError, type Keyring, type Provider, type StreamConfig } from '@twin/core';
import pino, { type Logger } from 'pino';
import type { RequestHooks } from './http/client-presence';
import { createAuthenticator, type Authenticator } from './auth/authenticator';
import { createServerMetrics, type ServerMetrics } from './observability/server-metrics';
import { monitorEventLoopLag } from './observability/event-loop-lag';
import { ConnectionSamples, startConnectionSampler } from './observability/connection-samples';
import { NetworkSignals } from './observability/network-signals';
import { budgetUsageGauge, countUsage } from './observability/usage-counters';
import { StreamStatsWindow } from './observability/stream-stats';
import { createBillingProfileStore, type BillingProfileStore } from './storage/billing-profile-store';
import { createInvoiceStore, type InvoiceStore } from './storage/invoice-store';
import type { TwinStore } from './storage/twin-store';
import { createBudgetGuard, type BudgetGuard } from './stream/budget-guard';
import { createPricingBook, type PricingBook } from './stream/pricing-book';
import { reconcileOpenRecords, type ReconcileResult } from './stream/reconcile-open-records';
import { instanceLostEvent } from './cluster/instance-lost-event';
import { StreamHub } from './stream/stream-hub';
import { createModelRouter, type ModelRouter, type ResolvedModel } from './routing/model-router';
import { loadO200kTokenCounter } from './limits/o200k-token-counter';
import { EMPTY_ROUTING_CONFIG, type RoutingConfig } from './routing/routing-config';
import type { CorsOptions } from './http/cors';
import { createAlertCenter, type AlertCenter } from './alerts/alert-center';
import { createApiKeyAdminStore, type ApiKeyAdminStore } from './storage/api-key-admin-store';
import { createRequestLimits, type RequestLimits } from './limits/request-limits';
import { joinCluster, type ClusterNode } from './cluster/cluster-node';
import { ClusterStreams } from './cluster/cluster-streams';
import { registerClusterLogMetrics } from './cluster/cluster-log-metrics';
import { createClusterLimits } from './cluster/cluster-limits';
import { createLeaseKeeper } from './cluster/lease-keeper';
import { createInstanceLeaseStore } from './storage/instance-lease-store';
import { ClusterBus } from './cluster/cluster-bus';
import { LiveBoard } from './cluster/live-board';
import { liveSnapshotsOf } from './admin/live-snapshots';
import { summariseLiveStream } from './admin/live-stream-summary';
import { DEFAULT_DETACH_GRACE_MS, resolveProviders, serverStreamConfig, type TwinServiceOptions } from './twin-service-options';

/** The framework-free server: storage, auth, streams, billing and monitoring. */
export interface TwinService {
  readonly store: TwinStore;
  readonly hub: StreamHub;
  readonly pricing: PricingBook;
  readonly profiles: BillingProfileStore;
  readonly invoices: InvoiceStore;
  readonly metrics: ServerMetrics;
  readonly stats: StreamStatsWindow;
  /** Drops, resumes, write stalls and queued bytes (the admin traffic view and `/metrics`). */
  readonly signals: NetworkSignals;
  /** Running streams and connections per tenant, sampled every 10 s (the traffic view's connections chart). */
  readonly connectionSamples: ConnectionSamples;
  readonly auth: Authenticator;
  readonly budgets: BudgetGuard;
  readonly config: StreamConfig;
  readonly logger: Logger;
  readonly keyring: Keyring | undefined;
  readonly hooks: RequestHooks | undefined;
  /** API key management (create, list, revoke, rotate) and tenant limits. */
  readonly keys: ApiKeyAdminStore;
  readonly cors: CorsOptions | undefined;
  /** Alerts: webhook deliveries and the operational checks (error rate, latency, drops, cost). */
  readonly alerts: AlertCenter;
  /** Per-key and per-tenant requests / tokens per minute. */
  readonly limits: RequestLimits;
  /** This instance's membership of a cluster (`options.cluster`); undefined in single-process mode. */
  readonly cluster: ClusterNode | undefined;
  /** Cluster mode: every instance's load and live streams (the admin live feed, stream stats); undefined in one process. */
  readonly board: LiveBoard | undefined;
  /** Resolves a provider by name (`undefined` → default); 400 naming `provider` when unknown. */
  provider(name: string | undefined): Provider;
  providerNames(): string[];
  /**
   * Resolves a requested model: an alias of the routing config (its fallback chain),
   * `provider/model`, or a model of `provider` (default: the default provider).
   */
  resolveModel(input: { model?: string | undefined; provider?: string | undefined }): ResolvedModel;
  /** The routing in force (providers, aliases, circuits). */
  readonly router: ModelRouter;
  /** The routing config in force. */
  readonly routing: RoutingConfig;
  /**
   * Swaps in a new routing config (default: re-read from `routingSource`). Streams already running
   * keep the providers they started with, so none is dropped; a config that does not validate or
   * build throws `config_invalid` and changes nothing.
   */
  reloadRouting(config?: RoutingConfig): void;
  /** Finalizes billing records left open by a previous process. */
  reconcile(): Promise<ReconcileResult>;
  /**
   * SIGTERM: refuses new streams (503 + Retry-After; `/health` says `draining`) and waits up to
   * `timeoutMs` for the running ones to end. Resolves with how many still run; `shutdown` then
   * stops and bills them.
   */
  drain(timeoutMs: number): Promise<number>;
  /** Stops every stream (billed as interrupted) and flushes storage. Does not close the database. */
  shutdown(timeoutMs?: number): Promise<void>;
}

/** Builds the service; call `reconcile()` before taking traffic (the CLI does). */
export async function createTwinService(options: TwinServiceOptions): Promise<TwinService> {
  const logger = options.logger ?? pino({ level: 'silent' });
  const config = serverStreamConfig(options.stream);
  const { providers, defaultProvider } = resolveProviders(options);
  const secrets = options.secrets ?? {};
  let routing = options.routing ?? EMPTY_ROUTING_CONFIG;
  // One rank table per process: the routing file's providers estimate usage with the server's counter.
  const countTokens = options.countTokens === false ? undefined : (options.countTokens ?? (await loadO200kTokenCounter()));
  const routingEnv = { ...(options.routingEnv ? { env: options.routingEnv } : {}), ...(countTokens ? { countTokens } : {}) };
  let router = createModelRouter({ base: providers, config: routing, secrets, defaultProvider, ...routingEnv });

  const cluster = options.cluster ? await joinCluster({ ...options.cluster, instanceId: options.cluster.instanceId ?? options.store.instanceId }, logger) : undefined;
  const metrics = createServerMetrics({ defaultMetrics: options.processMetrics !== false });
  const stats = new StreamStatsWindow();
  const store = options.store;
  const signals = new NetworkSignals(metrics.registry);
  const profiles = createBillingProfileStore(store.db);
  const pricing = countUsage(
    await createPricingBook(store, {
      onUnpriced: (provider, _model, outcome) => {
        if (outcome === 'billed') metrics.unpricedStreams.inc({ provider });
        else metrics.unpricedRejected.inc({ provider });
      },
      fileConfigs: options.pricing ?? [],
      ...(options.catalogue !== undefined ? { catalogue: options.catalogue } : {}),
      unpriced: options.unpricedModels ?? 'reject',
      profiles,
    }),
    metrics.registry,
  );
  const leaseMs = options.cluster?.leaseMs ?? 15_000;
  // One pub/sub per instance, shared by every cluster part.
  const bus = cluster ? new ClusterBus(cluster, logger) : undefined;
  const clusterLimits = bus && cluster ? createClusterLimits({ node: cluster, bus, leaseMs, now: options.now ?? Date.now, logger }) : undefined;
  const lag = options.maxEventLoopLagMs !== undefined && !options.eventLoopLagMs ? monitorEventLoopLag() : undefined;
  const lagMs = options.eventLoopLagMs ?? (lag ? () => lag.ms : undefined);
  const clusterStreams = bus && cluster
    ? new ClusterStreams(cluster, {
        logger,
        bus,
        keyring: options.keyring,
        replayWindowEvents: config.buffer.replayWindowEvents,
        maxDurationMs: config.timeouts.maxDurationMs,
        resumeGraceMs: config.timeouts.resumeGraceMs,
        detachGraceMs: options.detachGraceMs ?? DEFAULT_DETACH_GRACE_MS,
        describe: (stream) => ({
          status: stream.status,
          metrics: stream.getMetrics(),
          ...(stream.isRunning ? { live: summariseLiveStream(stream, pricing.list(), Date.now()) } : {}),
        }),
      })
    : undefined;
  const hub = new StreamHub(
    {
      store,
      pricing,
      metrics,
      stats,
      logger,
      persistChunks: options.persistChunks !== false,
      holdContentUntilRecorded: options.holdContentUntilRecorded !== false,
      ...(countTokens ? { countTokens } : {}),
      // Called only once streams run, after the guard below exists.
      budgets: {
        raise: (state, threshold, spent) => budgets.raise(state, threshold, spent),
        onStop: (state) => budgets.forget(state.budget.tenantId),
        onError: (error) => logger.warn({ err: error }, 'a running stream could not be judged against its budgets (alert not stored, or no price)'),
      },
      ...(clusterStreams ? { log: clusterStreams } : {}),
    },
    {
      config,
      maxQueuedBytesPerConnection: options.maxQueuedBytesPerConnection ?? 1_048_576,
      detachGraceMs: options.detachGraceMs ?? DEFAULT_DETACH_GRACE_MS,
      ...(options.maxStorageBacklog !== undefined ? { maxStorageBacklog: options.maxStorageBacklog } : {}),
      ...(options.maxEventLoopLagMs !== undefined && lagMs ? { maxEventLoopLagMs: options.maxEventLoopLagMs, eventLoopLagMs: lagMs } : {}),
      signals,
      ...(clusterStreams ? { cluster: clusterStreams } : {}),
      ...(clusterLimits ? { slots: clusterLimits.slots } : {}),
    },
  );
  await clusterStreams?.listen(hub);
  if (clusterStreams) registerClusterLogMetrics(metrics.registry, clusterStreams.log);
  // Cluster mode: this instance on the live board, once a second (its rows only for watched tenants).
  const board = cluster
    ? new LiveBoard(cluster, {
        logger,
        source: {
          load: () => ({ activeStreams: hub.activeStreams, openConnections: hub.openConnections }),
          countsByTenant: () => hub.countsByTenant(),
          rows: (tenantId, now) => liveSnapshotsOf(hub).rows(tenantId, () => hub.runningOf(tenantId), pricing.list(), now),
        },
      })
    : undefined;
  board?.start();
  const connectionSamples = new ConnectionSamples();
  const stopSampler = startConnectionSampler(connectionSamples, () => hub.countsByTenant());
  const snapshotMs = options.usageSnapshotIntervalMs ?? 3_600_000;
  const snapshots =
    snapshotMs > 0
      ? setInterval(() => {
          store.snapshotUsageReports(new Date()).catch((error: unknown) => logger.warn({ err: error }, 'could not store the usage snapshots; the next run retries'));
        }, snapshotMs)
      : undefined;
  snapshots?.unref();
  const alerts = createAlertCenter({ store, stats, logger, routing: () => routing, secrets: options.secrets ?? {}, ...(options.alertEnv ? { env: options.alertEnv } : {}), schedule: options.alertChecks !== false });
  // Cluster mode: a budget found used up, or changed, here is read again by every instance.
  const shared: { budgets?: Awaited<ReturnType<NonNullable<typeof clusterLimits>['shareBudgets']>> } = {};
  const guard = createBudgetGuard(store, logger, undefined, budgetUsageGauge(metrics.registry), (alert) => alerts.send(alert), (tenantId) => shared.budgets?.exceeded(tenantId));
  shared.budgets = await clusterLimits?.shareBudgets(guard);
  const budgets: BudgetGuard = { ...guard, forget: (tenantId) => (guard.forget(tenantId), shared.budgets?.changed(tenantId)) };
  const keys = createApiKeyAdminStore(store.db);
  const limits = createRequestLimits({
    keys,
    metrics,
    logger,
    ...(options.defaultKeyLimits ? { defaultKeyLimits: options.defaultKeyLimits } : {}),
    ...(countTokens ? { countTokens } : {}),
    ...(options.now ? { now: options.now } : {}),
    ...(clusterLimits ? { limiter: clusterLimits.limiter } : {}),
  });
  await limits.refresh();
  const reconcileOf = (of?: { instanceId: string; startedBefore?: Date }, onReconciled?: Parameters<typeof reconcileOpenRecords>[0]['onReconciled']) =>
    reconcileOpenRecords({
      store,
      pricing,
      countTokens: countTokens ?? ((t) => Math.ceil(t.length / 4)),
      logger,
      liveStreamIds: hub.runningIds(),
      ...(of ? { of } : {}),
      ...(onReconciled ? { onReconciled } : {}),
    });
  // Cluster mode: this instance's lease, and the reconcile of instances whose lease expired.
  const keeper = cluster
    ? createLeaseKeeper({
        leases: createInstanceLeaseStore(store.db),
        instanceId: store.instanceId,
        leaseMs,
        logger,
        // The dead instance's clients may be tailing its streams through other instances: each
        // reconciled stream's log ends with a terminal error carrying the bill just made.
        reconcile: async (lease) =>
          (await reconcileOf({ instanceId: lease.instanceId, startedBefore: lease.expiredAt }, (record, receipt) => clusterStreams?.log.terminate(record.streamId, (seq) => instanceLostEvent(seq, receipt)))).reconciled,
      })
    : undefined;
  await keeper?.start();

  return {
    store,
    hub,
    pricing,
    profiles,
    invoices: createInvoiceStore(store.db),
    metrics,
    stats,
    signals,
    connectionSamples,
    auth: createAuthenticator(store, options.auth),
    budgets,
    config,
    logger,
    keyring: options.keyring,
    hooks: options.hooks,
    keys,
    limits,
    cluster,
    board,
    cors: options.cors,
    alerts,
    provider: (name) => router.provider(name),
    providerNames: () => [...router.providerNames],
    resolveModel: (input) => router.resolve(input),
    get router() {
      return router;
    },
    get routing() {
      return routing;
    },
    reloadRouting(next) {
      if (!next && !options.routingSource) throw new TwinError('config_invalid', 'This server has no routing config file to reload (set TWIN_CONFIG).');
      const config = next ?? options.routingSource!();
      router = createModelRouter({ base: providers, config, secrets, defaultProvider, previous: router, ...routingEnv });
      routing = config;
      logger.info({ providers: router.providerNames, aliases: router.aliases }, 'routing config reloaded');
    },
    reconcile: () => reconcileOf(),
    drain(timeoutMs) {
      keeper?.drain();
      return hub.drain(timeoutMs);
    },
    async shutdown(timeoutMs) {
      lag?.stop();
      stopSampler();
      clearInterval(snapshots);
      limits.stop();
      alerts.stop();
      await hub.shutdown(timeoutMs);
      await store.flush();
      await clusterStreams?.log.flush();
      if (keeper) {
        // Whatever could not be finalized stays open for a survivor: the lease then expires at once.
        const open = await store.listOpenBillingRecords(1).catch(() => [undefined]);
        await keeper.stop(open.length).catch((error: unknown) => logger.warn({ err: error }, 'could not release the instance lease; it expires by itself'));
      }
      shared.budgets?.stop();
      clusterLimits?.stop();
      await board?.stop();
      await cluster?.close();
    },
  };
}
