import {
  TwinError,
  loadDefaultTokenCounter,
  streamConfigSchema,
  type Provider,
  type CatalogueModel,
  type StreamBillingConfig,
  type UnpricedModelPolicy,
  type StreamConfig,
  type StreamConfigInput,
  type TokenCounter,
  type Keyring,
  type ProviderRegistry,
  type ProviderEnvironment,
} from '@twin/core';
import pino, { type Logger } from 'pino';
import type { RequestHooks } from './http/client-presence';
import { createAuthenticator, type AuthMode, type Authenticator } from './auth/authenticator';
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
import { EMPTY_ROUTING_CONFIG, type RoutingConfig } from './routing/routing-config';
import type { CorsOptions } from './http/cors';
import { createAlertCenter, type AlertCenter } from './alerts/alert-center';
import type { WebhookDispatcherEnv } from './alerts/webhook-dispatcher';
import { createApiKeyAdminStore, type ApiKeyAdminStore } from './storage/api-key-admin-store';
import { createRequestLimits, type RateLimits, type RequestLimits } from './limits/request-limits';
import type { ClusterOptions } from './cluster/cluster-options';
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

/** Everything {@link createTwinService} takes. Only `store` and `providers` are required. */
export interface TwinServiceOptions {
  store: TwinStore;
  /** The providers this server streams from: a core provider registry, a list, or a map by name. */
  providers: ProviderRegistry | readonly Provider[] | Record<string, Provider>;
  /** Used when a request names none (default: the first provider). */
  defaultProvider?: string;
  /** Stream behaviour (limits, heartbeats, flush, replay window, timeouts); defaults are production values. */
  stream?: StreamConfigInput;
  /** Pricing configs from a file; stored configs take precedence, shipped defaults fill the rest. */
  pricing?: readonly StreamBillingConfig[];
  /**
   * Streams on a model that neither a price table nor the catalogue prices: `reject` (default) refuses
   * them with 422 `model_unpriced` before any provider call; `allow` serves them and flags their
   * records `unpriced`. The CLI reads `TWIN_UNPRICED_MODELS`.
   */
  unpricedModels?: UnpricedModelPolicy;
  /** Provider list prices used when no table prices a model (default core's `PRICE_CATALOGUE`; `false` for none). */
  catalogue?: readonly CatalogueModel[] | false;
  auth?: AuthMode;
  logger?: Logger;
  /**
   * Keep a running stream this long after its client vanished, waiting for a resume (default
   * 30,000 ms; 0 aborts the provider at once). A stream nobody resumes is billed `client_abort` for
   * what the provider produced until then.
   */
  detachGraceMs?: number;
  /** Per-connection write queue bound before the slow-client policy (default 1 MiB). */
  maxQueuedBytesPerConnection?: number;
  /** Store every event in stream_chunks (default true). */
  persistChunks?: boolean;
  /** Rows waiting for the database above which new streams get 503 + Retry-After (default 20,000). */
  maxStorageBacklog?: number;
  /**
   * Load shedding: event-loop lag (p99 over the last 250 ms) above which new streams get 503 +
   * Retry-After, so running streams keep their latency. Off by default.
   */
  maxEventLoopLagMs?: number;
  /**
   * The lag probe `maxEventLoopLagMs` is compared with (default: node:perf_hooks' event-loop delay,
   * p99 per 250 ms). Tests inject one, so shedding is tested without depending on machine load.
   */
  eventLoopLagMs?: () => number;
  /** Prompt token counter for the crash-time estimate (default: gpt-tokenizer, loaded once); `false` disables. */
  countTokens?: TokenCounter | false;
  /**
   * Keys for payload encryption (`options.encryption` in a request). Clients hold the same keys.
   * Without a keyring, requests asking for encryption get 400; payload codecs need no key.
   */
  keyring?: Keyring;
  /** Register Node process metrics in `/metrics` (default true). */
  processMetrics?: boolean;
  /**
   * How often every billed tenant's month-to-date usage report is stored in stream_usage_reports
   * (default hourly; 0 disables).
   */
  usageSnapshotIntervalMs?: number;
  /**
   * Hold a stream's content until its billing record's opening has committed (default true), so a
   * crash can never leave a stream whose content reached its client without a record. `false` lets
   * content leave up to one group commit earlier (what the bench compares against).
   */
  holdContentUntilRecorded?: boolean;
  /** Test hooks of the request path (hold a request after an await). Not for production use. */
  hooks?: RequestHooks;
  /** Providers, aliases, fallback chains and resilience (what a routing config file holds). */
  routing?: RoutingConfig;
  /** Where `reloadRouting()` re-reads the routing config from (the CLI: `TWIN_CONFIG`). */
  routingSource?: () => RoutingConfig;
  /** Where the routing config's `apiKeyEnv` / `secretEnv` names are looked up (the CLI passes `process.env`). */
  secrets?: Record<string, string | undefined>;
  /**
   * Clock, timers (`sleep`), randomness and fetch of the providers and wrappers the routing config
   * builds: first-token and idle timeouts, retry backoff, circuit breakers, the response cache
   * (default: the real ones). Tests inject them so a timeout fires when the test says, not after
   * real seconds that a loaded machine can outrun.
   */
  routingEnv?: Partial<ProviderEnvironment>;
  /** Rate limits of keys that have none of their own (default: none). Tenant limits are stored. */
  defaultKeyLimits?: RateLimits;
  /** Timers, clock and fetch of alert webhook deliveries (tests). */
  alertEnv?: Partial<WebhookDispatcherEnv>;
  /** Run the operational alert checks on a timer (default true). */
  alertChecks?: boolean;
  /** Browser origins allowed to call the API (CORS); default none. */
  cors?: CorsOptions;
  /** Clock of the rate limiter (tests); default `Date.now`. */
  now?: () => number;
  /**
   * Cluster mode: many instances sharing this Redis (and one Postgres) behind any load balancer.
   * Unset (default): one process, everything in memory. See docs/deployment.md.
   */
  cluster?: ClusterOptions;
}

/** How long a stream whose client vanished keeps running for a resume, by default. */
export const DEFAULT_DETACH_GRACE_MS = 30_000;

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

/**
 * The server's replay window per stream, smaller than core's default (1,024 events / 1 MiB): the
 * events a stream keeps for `Last-Event-ID` resume are most of its memory (about 130 B per chunk
 * event), and at 10,000 streams the core default allows up to 10 GiB. 256 events are 25 s at 10
 * events/s; a resume from further back gets a `resync` (the full state), which is still exact.
 */
const SERVER_REPLAY_WINDOW = { replayWindowEvents: 256, replayWindowBytes: 65_536 };

/** Builds the service; call `reconcile()` before taking traffic (the CLI does). */
export async function createTwinService(options: TwinServiceOptions): Promise<TwinService> {
  const logger = options.logger ?? pino({ level: 'silent' });
  const config = streamConfigSchema.parse({
    ...options.stream,
    buffer: { ...SERVER_REPLAY_WINDOW, ...options.stream?.buffer },
  });
  const providers = new Map<string, Provider>();
  const given = options.providers;
  if (isRegistry(given)) for (const name of given.names) providers.set(name, given.resolveProvider(name));
  else if (Array.isArray(given)) for (const p of given as readonly Provider[]) providers.set(p.name, p);
  else for (const [name, p] of Object.entries(given as Record<string, Provider>)) providers.set(name, p);
  if (providers.size === 0) throw new TwinError('config_invalid', 'At least one provider is required.');
  const defaultProvider = options.defaultProvider ?? (isRegistry(given) ? given.defaultName : [...providers.keys()][0]!);
  if (!providers.has(defaultProvider)) throw new TwinError('config_invalid', `Default provider "${defaultProvider}" is not configured.`);
  const secrets = options.secrets ?? {};
  let routing = options.routing ?? EMPTY_ROUTING_CONFIG;
  const routingEnv = options.routingEnv ? { env: options.routingEnv } : {};
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
  const countTokens = options.countTokens === false ? undefined : (options.countTokens ?? (await loadDefaultTokenCounter()));
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

function isRegistry(value: unknown): value is ProviderRegistry {
  return typeof (value as ProviderRegistry).resolveProvider === 'function' && Array.isArray((value as ProviderRegistry).names);
}
