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
} from '@twin/core';
import pino, { type Logger } from 'pino';
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
import { StreamHub } from './stream/stream-hub';

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
  /** Keep a running stream this long after its client vanished, waiting for a resume (default 0). */
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
  /** Prompt token counter for the crash-time estimate (default: gpt-tokenizer, loaded once); `false` disables. */
  countTokens?: TokenCounter | false;
  /**
   * Keys for payload encryption (`options.encryption` in a request). Clients hold the same keys.
   * Without a keyring, requests asking for encryption get 400; payload codecs need no key.
   */
  keyring?: Keyring;
  /** Register Node process metrics in `/metrics` (default true). */
  processMetrics?: boolean;
}

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
  /** Resolves a provider by name (`undefined` → default); 400 naming `provider` when unknown. */
  provider(name: string | undefined): Provider;
  providerNames(): string[];
  /** Finalises billing records left open by a previous process. */
  reconcile(): Promise<ReconcileResult>;
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
  const lag = options.maxEventLoopLagMs !== undefined ? monitorEventLoopLag() : undefined;
  const hub = new StreamHub(
    { store, pricing, metrics, stats, logger, persistChunks: options.persistChunks !== false, ...(countTokens ? { countTokens } : {}) },
    {
      config,
      maxQueuedBytesPerConnection: options.maxQueuedBytesPerConnection ?? 1_048_576,
      detachGraceMs: options.detachGraceMs ?? 0,
      ...(options.maxStorageBacklog !== undefined ? { maxStorageBacklog: options.maxStorageBacklog } : {}),
      ...(lag ? { maxEventLoopLagMs: options.maxEventLoopLagMs, eventLoopLagMs: () => lag.ms } : {}),
      signals,
    },
  );
  const connectionSamples = new ConnectionSamples();
  const stopSampler = startConnectionSampler(connectionSamples, () => hub.countsByTenant());
  const budgets = createBudgetGuard(store, logger, undefined, budgetUsageGauge(metrics.registry));

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
    provider(name) {
      const p = providers.get(name ?? defaultProvider);
      if (!p) {
        throw new TwinError('invalid_request', `Unknown provider "${name}". Configured: ${[...providers.keys()].join(', ')}.`, {
          details: { field: 'provider' },
        });
      }
      return p;
    },
    providerNames: () => [...providers.keys()],
    reconcile: () =>
      reconcileOpenRecords({
        store,
        pricing,
        countTokens: countTokens ?? ((t) => Math.ceil(t.length / 4)),
        logger,
        liveStreamIds: hub.runningIds(),
      }),
    async shutdown(timeoutMs) {
      lag?.stop();
      stopSampler();
      await hub.shutdown(timeoutMs);
      await store.flush();
    },
  };
}

function isRegistry(value: unknown): value is ProviderRegistry {
  return typeof (value as ProviderRegistry).resolveProvider === 'function' && Array.isArray((value as ProviderRegistry).names);
}
