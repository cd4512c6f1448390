import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { TwinError, safeParseJSON } from '@twin/core';
import type * as Yaml from 'yaml';
import { z } from 'zod';

/**
 * The YAML parser, loaded on the first YAML file read (synchronously, as this reader is: yaml's Node
 * entry is CommonJS): a server without a routing file, or with a JSON one, never loads it (0.6 MiB
 * of heap, some 1.3 MiB of RSS).
 */
const parseYaml = (text: string): unknown => (createRequire(import.meta.url)('yaml') as typeof Yaml).parse(text);

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().min(0);

const retrySchema = z.strictObject({
  /** Retries after the first attempt (core's `withRetry`); 0 turns retrying off. */
  maxRetries: nonNegativeInt.default(2),
  baseDelayMs: positiveInt.default(500),
  maxDelayMs: positiveInt.default(20_000),
});

const circuitBreakerSchema = z.strictObject({
  /** Consecutive provider failures that open the circuit (core's `withCircuitBreaker`). */
  failureThreshold: positiveInt.default(5),
  resetTimeoutMs: positiveInt.default(30_000),
});

const timeoutsSchema = z.strictObject({
  /** No content within this long → `provider_timeout` (retryable: the chain moves on). */
  firstTokenMs: positiveInt.optional(),
  /** Silence this long once content flows → `stream_stalled`. */
  idleMs: positiveInt.optional(),
});

/** Resilience applied to one provider: every field optional, merged over `defaults`. */
const resilienceSchema = z.strictObject({
  retry: retrySchema.partial().optional(),
  circuitBreaker: circuitBreakerSchema.partial().or(z.literal(false)).optional(),
  timeouts: timeoutsSchema.optional(),
});

const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name (A-Z, 0-9, _)');

/** A provider declared in the file. Secrets are never in the file: `apiKeyEnv` names the variable. */
const providerSchema = resilienceSchema.extend({
  type: z.enum(['openai', 'openai-responses', 'anthropic', 'google', 'ollama', 'simulated']),
  baseURL: z.url().optional(),
  apiKeyEnv: envName.optional(),
  defaultModel: z.string().min(1).optional(),
  /** `simulated` only: its speed (tokens per second). */
  tokensPerSecond: z.number().positive().optional(),
  /** Extra request headers for OpenAI-compatible servers (never secrets: use `apiKeyEnv`). */
  headers: z.record(z.string(), z.string()).optional(),
});

/** `provider/model`, e.g. `openai/gpt-4o-mini`. */
const target = z.string().regex(/^[A-Za-z0-9_.-]+\/.+$/, 'must be "provider/model"');

const aliasSchema = z.union([
  z.array(target).min(1),
  z.strictObject({
    /** Tried in order: the next one only when the previous failed before its first token. */
    fallback: z.array(target).min(1),
    /** Give up on a provider that sends no content within this long and try the next one. */
    firstTokenTimeoutMs: positiveInt.optional(),
  }),
]);

const webhookSchema = z.strictObject({
  url: z.url(),
  /** Environment variable holding the HMAC secret (`Twin-Signature`). */
  secretEnv: envName,
  /** Alert kinds to send (prefixes: `budget`, `cost`, `error_rate`, `latency`, `drops`); default all. */
  kinds: z.array(z.string().min(1)).optional(),
});

/**
 * The routing config file (`TWIN_CONFIG`, JSON or YAML): providers, model aliases with fallback
 * chains, retries, circuit breakers, timeouts, the response cache, the unpriced-model policy and
 * alert webhooks. Secrets come from environment variables named in it, never from the file.
 */
export const routingConfigSchema = z.strictObject({
  /** Providers beyond (or replacing, by name) those configured from the environment. */
  providers: z.record(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'provider names are 1-64 of A-Z a-z 0-9 _ . -'), providerSchema).default({}),
  /** Provider used when a request names neither a provider nor an alias. */
  defaultProvider: z.string().min(1).optional(),
  /** Resilience every provider gets unless it says otherwise. */
  defaults: resilienceSchema.default({}),
  /** Model aliases: a name a client may send as `model`, mapped to a fallback chain. */
  models: z.record(z.string().min(1), aliasSchema).default({}),
  /** Opt-in response cache (temperature-0 requests replay a finished identical stream). */
  responseCache: z.strictObject({ enabled: z.boolean().default(false), ttlMs: positiveInt.default(3_600_000), maxEntries: positiveInt.default(1_000) }).optional(),
  /** A stream on a model with no price: refused (default) or billed flagged `unpriced`. */
  unpricedModels: z.enum(['reject', 'allow']).optional(),
  alerts: z
    .strictObject({
      webhooks: z.array(webhookSchema).default([]),
      /** Operational thresholds (defaults: error rate 5%, mean latency 5 s, 100 drops an hour). */
      errorRatePercent: z.number().positive().max(100).default(5),
      meanLatencyMs: positiveInt.default(5_000),
      dropsPerHour: positiveInt.default(100),
      /** Server-wide spend in the last hour above which a `cost.hour` alert is raised (exact decimal). */
      costPerHour: z.strictObject({ amount: z.string().regex(/^\d+(\.\d+)?$/, 'must be a decimal string like "25.00"'), currency: z.string().regex(/^[A-Z]{3}$/) }).optional(),
      /** How often they are checked (default every 60 s, over the last 5 minutes / hour). */
      checkIntervalMs: positiveInt.default(60_000),
    })
    .optional(),
});

/** The validated routing config. */
export type RoutingConfig = z.infer<typeof routingConfigSchema>;
export type RoutingProviderConfig = RoutingConfig['providers'][string];
export type ResilienceConfig = z.infer<typeof resilienceSchema>;

/** The empty config: env-configured providers, no aliases, core's default resilience. */
export const EMPTY_ROUTING_CONFIG: RoutingConfig = routingConfigSchema.parse({});

/**
 * Validates a parsed config. An error names the path in the file (`models.fast.fallback.1`) and
 * never echoes a value.
 */
export function parseRoutingConfig(value: unknown, source = 'routing config'): RoutingConfig {
  const result = routingConfigSchema.safeParse(value ?? {});
  if (result.success) return result.data;
  const lines = result.error.issues.slice(0, 5).map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`);
  throw new TwinError('config_invalid', `Invalid ${source}: ${lines.join('; ')}`, {
    details: { fields: result.error.issues.map((i) => i.path.join('.')) },
  });
}

/** Reads and validates a JSON (`.json`) or YAML (anything else) routing config file. */
export function readRoutingConfigFile(path: string): RoutingConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new TwinError('config_invalid', `Cannot read the routing config ${path}.`, { cause: error });
  }
  let value: unknown;
  if (path.endsWith('.json')) {
    const parsed = safeParseJSON(text);
    if (!parsed.success) throw new TwinError('config_invalid', `${path} is not valid JSON: ${parsed.error.message}`);
    value = parsed.value;
  } else {
    try {
      value = parseYaml(text);
    } catch (error) {
      throw new TwinError('config_invalid', `${path} is not valid YAML: ${(error as Error).message}`);
    }
  }
  return parseRoutingConfig(value, `routing config ${path}`);
}
