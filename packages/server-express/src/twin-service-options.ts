import {
  TwinError,
  resolveStreamConfig,
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
import type { Logger } from 'pino';
import type { RequestHooks } from './http/client-presence';
import type { AuthMode } from './auth/authenticator';
import type { TwinStore } from './storage/twin-store';
import type { RoutingConfig } from './routing/routing-config';
import type { CorsOptions } from './http/cors';
import type { WebhookDispatcherEnv } from './alerts/webhook-dispatcher';
import type { RateLimits } from './limits/request-limits';
import type { ClusterOptions } from './cluster/cluster-options';

// The service's options, their defaults and their normalisation (the stream config, the provider
// set), apart from the wiring in twin-service.ts that builds the service from them.

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
   * crash can never leave a stream whose content reached its client without a record. On an
   * embedded database on a folder the opening counts as committed once it is in the openings
   * journal beside the folder (the same process-crash durability; a restart inserts it). `false`
   * lets content leave up to one group commit earlier (what the bench compares against).
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

/**
 * The server's replay window per stream, smaller than core's default (1,024 events / 1 MiB): the
 * events a stream keeps for `Last-Event-ID` resume are most of its memory (about 130 B per chunk
 * event), and at 10,000 streams the core default allows up to 10 GiB. 256 events are 25 s at 10
 * events/s; a resume from further back gets a `resync` (the full state), which is still exact.
 */
const SERVER_REPLAY_WINDOW = { replayWindowEvents: 256, replayWindowBytes: 65_536 };

/** The stream config in force: the caller's, over the server's replay window, over core's defaults. */
export function serverStreamConfig(stream: StreamConfigInput | undefined): StreamConfig {
  // Resolved (and frozen) once: every stream's session takes it as it is instead of parsing it again.
  return resolveStreamConfig({
    ...stream,
    buffer: { ...SERVER_REPLAY_WINDOW, ...stream?.buffer },
  });
}

/** The providers by name and the default one; `config_invalid` when there is none or the default is unknown. */
export function resolveProviders(options: Pick<TwinServiceOptions, 'providers' | 'defaultProvider'>): { providers: Map<string, Provider>; defaultProvider: string } {
  const providers = new Map<string, Provider>();
  const given = options.providers;
  if (isRegistry(given)) for (const name of given.names) providers.set(name, given.resolveProvider(name));
  else if (Array.isArray(given)) for (const p of given as readonly Provider[]) providers.set(p.name, p);
  else for (const [name, p] of Object.entries(given as Record<string, Provider>)) providers.set(name, p);
  if (providers.size === 0) throw new TwinError('config_invalid', 'At least one provider is required.');
  const defaultProvider = options.defaultProvider ?? (isRegistry(given) ? given.defaultName : [...providers.keys()][0]!);
  if (!providers.has(defaultProvider)) throw new TwinError('config_invalid', `Default provider "${defaultProvider}" is not configured.`);
  return { providers, defaultProvider };
}

function isRegistry(value: unknown): value is ProviderRegistry {
  return typeof (value as ProviderRegistry).resolveProvider === 'function' && Array.isArray((value as ProviderRegistry).names);
}
