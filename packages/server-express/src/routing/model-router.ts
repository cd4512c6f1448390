import {
  TwinError,
  createAnthropicProvider,
  createFallbackProvider,
  createGeminiProvider,
  createMemoryResponseCacheStore,
  createOllamaProvider,
  createOpenAIChatProvider,
  createOpenAIResponsesProvider,
  createSimulatedProvider,
  withCircuitBreaker,
  withResponseCache,
  withRetry,
  withTimeouts,
  type CircuitBreakerProvider,
  type CircuitState,
  type Provider,
  type ProviderEnvironment,
  type TokenCounter,
} from '@twin/core';
import type { ResilienceConfig, RoutingConfig, RoutingProviderConfig } from './routing-config';

/** What a requested model name resolved to. */
export interface ResolvedModel {
  /** What to stream from: one provider, or a fallback chain over several. */
  provider: Provider;
  /** The model asked of the first provider tried. */
  model: string;
  /** The alias the name matched, if any. */
  alias?: string;
  /** Every `provider/model` that may serve, in order (one entry unless an alias has a chain). */
  chain: string[];
}

/** Resolves the model names clients send to providers, with the config's resilience applied. */
export interface ModelRouter {
  readonly providerNames: readonly string[];
  readonly defaultProvider: string;
  readonly aliases: readonly string[];
  /** A provider by name (`undefined` → default), wrapped in its retry/breaker/timeouts; 400 naming `provider` when unknown. */
  provider(name: string | undefined): Provider;
  /**
   * `provider` + `model` when the caller named the provider; else `model` as an alias (a fallback
   * chain), as `provider/model`, or as a model of the default provider. 400 naming `model` when
   * there is no model at all.
   */
  resolve(input: { model?: string | undefined; provider?: string | undefined }): ResolvedModel;
  /** Circuit state of each provider that has a breaker. */
  circuits(): Record<string, CircuitState>;
}

/** What {@link createModelRouter} takes. */
export interface ModelRouterOptions {
  /** Providers configured outside the file (environment, embedding code); the file adds or replaces by name. */
  base: ReadonlyMap<string, Provider>;
  config: RoutingConfig;
  /** Where `apiKeyEnv` secrets are read (default `{}`). */
  secrets?: Record<string, string | undefined>;
  /** Default provider when the config names none. */
  defaultProvider?: string;
  /** The previous router: providers whose config did not change keep their instance (and breaker state). */
  previous?: ModelRouter;
  /** Timers, fetch and clock for providers and wrappers (tests inject them). */
  env?: Partial<ProviderEnvironment>;
  /**
   * The counter the file's HTTP providers estimate usage with when their upstream reports none
   * (the server's prompt counter; default: core's `loadDefaultTokenCounter`, a second rank table).
   */
  countTokens?: TokenCounter;
}

interface Built {
  spec: string;
  provider: Provider;
  breaker?: CircuitBreakerProvider;
}
const BUILT = new WeakMap<ModelRouter, Map<string, Built>>();

function configError(path: string, message: string): TwinError {
  return new TwinError('config_invalid', `Invalid routing config: ${path}: ${message}`, { details: { fields: [path] } });
}

function createFromConfig(name: string, spec: RoutingProviderConfig, secrets: Record<string, string | undefined>, env: Partial<ProviderEnvironment> | undefined, countTokens: TokenCounter | undefined): Provider {
  const apiKey = spec.apiKeyEnv ? secrets[spec.apiKeyEnv] : undefined;
  if (spec.apiKeyEnv && !apiKey) throw configError(`providers.${name}.apiKeyEnv`, `the environment variable ${spec.apiKeyEnv} is not set`);
  const needsKey = spec.type === 'anthropic' || spec.type === 'google' || ((spec.type === 'openai' || spec.type === 'openai-responses') && !spec.baseURL);
  if (needsKey && !apiKey) throw configError(`providers.${name}`, `a ${spec.type} provider needs apiKeyEnv${spec.type.startsWith('openai') ? ' (or a baseURL)' : ''}`);
  const common = {
    name,
    ...(spec.baseURL ? { baseURL: spec.baseURL } : {}),
    ...(spec.defaultModel ? { defaultModel: spec.defaultModel } : {}),
    ...(spec.headers ? { headers: spec.headers } : {}),
    ...(env ? { env } : {}),
    ...(countTokens ? { countTokens } : {}),
  };
  const keyed = { ...common, ...(apiKey ? { apiKey } : {}) };
  switch (spec.type) {
    case 'openai':
      return createOpenAIChatProvider(keyed);
    case 'openai-responses':
      return createOpenAIResponsesProvider(keyed);
    case 'anthropic':
      return createAnthropicProvider(keyed);
    case 'google':
      return createGeminiProvider(keyed);
    case 'ollama':
      return createOllamaProvider(common);
    case 'simulated':
      return createSimulatedProvider({ name, ...(spec.defaultModel ? { defaultModel: spec.defaultModel } : {}), ...(spec.tokensPerSecond ? { tokensPerSecond: spec.tokensPerSecond } : {}), ...(env ? { env } : {}) });
  }
}

/** The resilience of one provider: its own sections over the file's defaults. */
function resilienceOf(config: RoutingConfig, own: ResilienceConfig | undefined): ResilienceConfig {
  const d = config.defaults;
  const retry = own?.retry ?? d.retry;
  const circuitBreaker = own?.circuitBreaker ?? d.circuitBreaker;
  const timeouts = own?.timeouts ?? d.timeouts;
  return { ...(retry ? { retry } : {}), ...(circuitBreaker !== undefined ? { circuitBreaker } : {}), ...(timeouts ? { timeouts } : {}) };
}

/**
 * Builds the router for one version of the config. Each provider is wrapped innermost-first:
 * timeouts (a silent provider becomes a retryable error), circuit breaker (a failing one fails
 * fast), retry (backoff with jitter, honouring Retry-After), response cache. Only what the config
 * declares is applied: with an empty config providers behave exactly as configured.
 */
export function createModelRouter(options: ModelRouterOptions): ModelRouter {
  const { config, env } = options;
  const secrets = options.secrets ?? {};
  const previous = options.previous ? BUILT.get(options.previous) : undefined;
  const built = new Map<string, Built>();
  const cacheStore = config.responseCache?.enabled ? createMemoryResponseCacheStore({ maxEntries: config.responseCache.maxEntries, ...(env?.now ? { now: env.now } : {}) }) : undefined;
  const names = new Set([...options.base.keys(), ...Object.keys(config.providers)]);

  for (const name of names) {
    const own = config.providers[name];
    const resilience = resilienceOf(config, own);
    const spec = JSON.stringify({ own: own ?? null, resilience, cache: config.responseCache ?? null });
    const kept = previous?.get(name);
    if (kept && kept.spec === spec) {
      built.set(name, kept);
      continue;
    }
    let provider = own ? createFromConfig(name, own, secrets, env, options.countTokens) : options.base.get(name)!;
    let breaker: CircuitBreakerProvider | undefined;
    if (resilience.timeouts && (resilience.timeouts.firstTokenMs || resilience.timeouts.idleMs)) {
      provider = withTimeouts(provider, {
        ...(resilience.timeouts.firstTokenMs ? { firstTokenTimeoutMs: resilience.timeouts.firstTokenMs } : {}),
        ...(resilience.timeouts.idleMs ? { idleTimeoutMs: resilience.timeouts.idleMs } : {}),
        ...(env ? { env } : {}),
      });
    }
    if (resilience.circuitBreaker) {
      breaker = withCircuitBreaker(provider, { ...resilience.circuitBreaker, ...(env ? { env } : {}) });
      provider = breaker;
    }
    if (resilience.retry && resilience.retry.maxRetries !== 0) provider = withRetry(provider, { ...resilience.retry, ...(env ? { env } : {}) });
    if (cacheStore) provider = withResponseCache(provider, { store: cacheStore, ttlMs: config.responseCache!.ttlMs, ...(env ? { env } : {}) });
    built.set(name, { spec, provider, ...(breaker ? { breaker } : {}) });
  }

  const defaultProvider = config.defaultProvider ?? options.defaultProvider ?? [...names][0];
  if (!defaultProvider || !built.has(defaultProvider)) {
    throw configError('defaultProvider', `"${defaultProvider ?? ''}" is not a configured provider (configured: ${[...names].join(', ')})`);
  }

  const splitTarget = (value: string): { provider: string; model: string } | undefined => {
    const slash = value.indexOf('/');
    if (slash <= 0) return undefined;
    const provider = value.slice(0, slash);
    return built.has(provider) ? { provider, model: value.slice(slash + 1) } : undefined;
  };

  // Aliases are checked and built once per config version, so a typo fails the start (or the
  // reload), not the first request that uses it.
  const aliases = new Map<string, ResolvedModel>();
  for (const [alias, value] of Object.entries(config.models)) {
    const targets = Array.isArray(value) ? value : value.fallback;
    const entries = targets.map((t, i) => {
      const split = splitTarget(t);
      if (!split) throw configError(`models.${alias}${Array.isArray(value) ? '' : '.fallback'}.${i}`, `"${t.slice(0, t.indexOf('/'))}" is not a configured provider`);
      return { provider: built.get(split.provider)!.provider, model: split.model };
    });
    const firstTokenTimeoutMs = Array.isArray(value) ? undefined : value.firstTokenTimeoutMs;
    const provider =
      entries.length === 1 && firstTokenTimeoutMs === undefined
        ? entries[0]!.provider
        : // Named after the first provider: the record opened at the start names it, and the final
          // record names the provider that actually served (from the chain's metadata part).
          createFallbackProvider(entries, { name: entries[0]!.provider.name, ...(firstTokenTimeoutMs ? { firstTokenTimeoutMs } : {}), ...(env ? { env } : {}) });
    aliases.set(alias, { provider, model: entries[0]!.model, alias, chain: targets });
  }

  const getProvider = (name: string | undefined): Provider => {
    const hit = built.get(name ?? defaultProvider);
    if (!hit) {
      throw new TwinError('invalid_request', `Unknown provider "${name}". Configured: ${[...built.keys()].join(', ')}.`, { details: { field: 'provider' } });
    }
    return hit.provider;
  };

  const router: ModelRouter = {
    providerNames: [...built.keys()],
    defaultProvider,
    aliases: [...aliases.keys()],
    provider: getProvider,
    resolve({ model, provider }) {
      if (provider === undefined && model !== undefined) {
        const alias = aliases.get(model);
        if (alias) return alias;
        const split = splitTarget(model);
        if (split) return { provider: getProvider(split.provider), model: split.model, chain: [model] };
      }
      const p = getProvider(provider);
      const resolved = model ?? p.defaultModel;
      if (!resolved) throw new TwinError('invalid_request', `Provider "${p.name}" needs a model.`, { details: { field: 'model' } });
      return { provider: p, model: resolved, chain: [`${p.name}/${resolved}`] };
    },
    circuits() {
      const out: Record<string, CircuitState> = {};
      for (const [name, b] of built) if (b.breaker) out[name] = b.breaker.state();
      return out;
    },
  };
  BUILT.set(router, built);
  return router;
}
