import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TwinError, parsePricingConfigs, safeParseJSON, type StreamBillingConfig } from '@twin/core';
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes' || v === 'on');
const int = (min: number) => z.coerce.number().int().min(min);

/**
 * The reference server's environment. Everything has a default, so `twin-server` with no
 * environment at all serves on :8787 from an embedded database with the simulated provider.
 */
export const serverEnvSchema = z.object({
  PORT: int(0).max(65_535).default(8787),
  /** Interface to bind. Default all interfaces; with `TWIN_AUTH=off` only loopback is allowed. */
  HOST: z.string().min(1).optional(),
  /** Postgres server. Unset: embedded PGlite in `TWIN_DATA_DIR`. */
  DATABASE_URL: z.string().min(1).optional(),
  TWIN_DATA_DIR: z.string().min(1).default('.twin-data'),
  /** Postgres schema for Twin's tables (shared databases). */
  TWIN_DB_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/).optional(),
  /** JSON file with an array of pricing configs (streamBillingConfigSchema). */
  TWIN_PRICING_FILE: z.string().min(1).optional(),
  /** `api-key` (default) or `off` (development on loopback only: every request is tenant `dev`). */
  TWIN_AUTH: z.enum(['api-key', 'off']).default('api-key'),
  /**
   * This instance's id: its open billing records carry it. Default `default`; in cluster mode
   * (`REDIS_URL`) the host name and process id, unique per instance.
   */
  TWIN_INSTANCE_ID: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).optional(),
  /** Redis shared by the instances of a cluster: turns cluster mode on (see docs/deployment.md). Unset: one process. */
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional(),
  /** Prefix of every Redis key and channel of this deployment (default `twin:`). */
  TWIN_REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_.:{}-]{1,64}$/).optional(),
  TWIN_MAX_CONNECTIONS: int(1).default(10_000),
  TWIN_MAX_CONNECTIONS_PER_KEY: int(1).default(100),
  TWIN_HEARTBEAT_MS: int(1).default(15_000),
  /**
   * SIGTERM: how long running streams may go on finishing while the instance refuses new ones (503,
   * `/health` says `draining`) before they are stopped and billed as interrupted. Default 30 s in
   * cluster mode (`REDIS_URL`), 0 (stop at once) otherwise.
   */
  TWIN_DRAIN_TIMEOUT_MS: int(0).optional(),
  /**
   * Cluster mode: how long an instance's lease outlives its last heartbeat (heartbeats every third
   * of it). A killed instance's open records are reconciled by a survivor within about 4/3 of it.
   */
  TWIN_LEASE_MS: int(300).default(15_000),
  /** How long a stream whose client vanished keeps running for a `Last-Event-ID` resume (0: abort at once). */
  TWIN_DETACH_GRACE_MS: int(0).default(30_000),
  TWIN_PERSIST_CHUNKS: bool.default(true),
  /** Rows waiting for the database above which new streams get 503 + Retry-After. */
  TWIN_MAX_STORAGE_BACKLOG: int(0).default(20_000),
  /** Load shedding: event-loop lag (ms) above which new streams get 503 + Retry-After. Unset: off. */
  TWIN_MAX_EVENT_LOOP_LAG_MS: int(1).optional(),
  /** Speed of the simulated provider, tokens per second. */
  TWIN_SIMULATED_TOKENS_PER_SECOND: z.coerce.number().positive().default(20),
  /**
   * Streams on a model nobody prices (no price table, not in the catalogue): `reject` refuses them
   * with 422 before any provider call; `allow` serves them with records flagged `unpriced`.
   */
  TWIN_UNPRICED_MODELS: z.enum(['reject', 'allow']).default('reject'),
  /** Comma-separated `id:base64key` entries (32-byte keys), newest last: enables payload encryption. */
  TWIN_CIPHER_KEYS: z.string().optional(),
  /** Routing config file (JSON or YAML): providers, aliases, fallback chains, resilience, alerts. */
  TWIN_CONFIG: z.string().min(1).optional(),
  /** Default rate limits of a key that has none of its own. */
  TWIN_RATE_LIMIT_RPM: int(1).optional(),
  TWIN_RATE_LIMIT_TPM: int(1).optional(),
  /** Comma-separated browser origins allowed to call the API (`*` for any). Unset: none. */
  TWIN_CORS_ORIGINS: z.string().min(1).optional(),
  TWIN_CORS_CREDENTIALS: bool.default(false),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
export type ServerEnv = z.infer<typeof serverEnvSchema>;

/** Parses the environment; a bad value is a `config_invalid` error naming the variable (never its value). */
export function readServerEnv(env: Record<string, string | undefined>): ServerEnv {
  const picked: Record<string, string> = {};
  for (const key of Object.keys(serverEnvSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value.trim() !== '') picked[key] = value.trim();
  }
  const result = serverEnvSchema.safeParse(picked);
  if (!result.success) {
    const names = [...new Set(result.error.issues.map((i) => String(i.path[0])))];
    throw new TwinError('config_invalid', `Invalid environment: ${names.join(', ')} (${result.error.issues[0]!.message}).`, { details: { fields: names } });
  }
  return result.data;
}

/** Reads the pricing file (validated; money as decimal strings). */
export function readPricingFile(path: string): StreamBillingConfig[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new TwinError('config_invalid', `Cannot read TWIN_PRICING_FILE ${path}.`, { cause: error });
  }
  const parsed = safeParseJSON(text);
  if (!parsed.success) throw new TwinError('config_invalid', `TWIN_PRICING_FILE ${path} is not valid JSON: ${parsed.error.message}`);
  const value = parsed.value;
  return parsePricingConfigs(Array.isArray(value) ? value : [value]);
}

/** The instance id: `TWIN_INSTANCE_ID`, else `default` alone and host-pid in a cluster (ids must differ there). */
export function instanceIdOf(env: ServerEnv, host: string, pid: number): string {
  if (env.TWIN_INSTANCE_ID) return env.TWIN_INSTANCE_ID;
  if (!env.REDIS_URL) return 'default';
  return `${host}-${pid}`.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64);
}

/** The PGlite folder inside the data dir. */
export function pgliteDir(env: ServerEnv): string {
  return join(env.TWIN_DATA_DIR, 'pglite');
}
