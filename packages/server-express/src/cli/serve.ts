import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { DEFAULT_PRICING, createKeyring, createProviderRegistry, decodeBase64, providerConfigFromEnv, TwinError, type Keyring } from '@twin/core';
import express from 'express';
import pino, { type Logger } from 'pino';
import { createApiKey } from '../auth/authenticator';
import { createTwinRouter } from '../express/create-twin-router';
import { answerClientError } from '../http/answer-client-error';
import { sendError } from '../http/http-util';
import { createSlotSleep } from '../providers/slot-sleep';
import { eventNow } from '../providers/wake-clock';
import { openDatabase, type OpenedDatabase } from '../storage/open-database';
import { createTwinStore } from '../storage/twin-store';
import { createTwinService, type TwinService } from '../twin-service';
import { readRoutingConfigFile } from '../routing/routing-config';
import { acquireDataDirLock } from '../storage/data-dir-lock';
import { tablesWithTerms } from './profile-migrate';
import { instanceIdOf, pgliteDir, readPricingFile, readServerEnv, type ServerEnv } from './server-config';
import { loadO200kTokenCounter } from '../limits/o200k-token-counter';

/** A running reference server. */
export interface RunningServer {
  url: string;
  server: Server;
  service: TwinService;
  database: OpenedDatabase;
  /** Re-reads `TWIN_CONFIG` (what SIGHUP does); running streams are untouched. */
  reload(): void;
  /** Graceful stop: drain for `TWIN_DRAIN_TIMEOUT_MS` (new streams refused, running ones finish), then refuse new requests, end every stream still running (billed as interrupted), flush, close the database. */
  stop(): Promise<void>;
}

/** pino, with anything that could hold a secret redacted. */
export /** Warns about each configured provider's default model that no price table or catalogue entry prices. */
function warnUnpricedModels(service: TwinService, logger: Logger): void {
  const configured = service.providerNames().flatMap((name) => {
    const model = service.provider(name).defaultModel;
    return model ? [{ provider: name, model }] : [];
  });
  for (const m of service.pricing.unpriced(configured, new Date())) {
    logger.warn(
      { provider: m.provider, model: m.model, policy: service.pricing.unpricedPolicy },
      service.pricing.unpricedPolicy === 'reject'
        ? 'configured model has no price: its streams will be refused (add a price table, run pnpm catalogue:update, or set TWIN_UNPRICED_MODELS=allow)'
        : 'configured model has no price: its streams will be billed flagged "unpriced"',
    );
  }
}

/**
 * Warns about stored and file price tables that still carry customer terms (taxes, SLA, discount
 * plan): they apply only to tenants without a billing profile, until `twin-server profile migrate`
 * moves them into profiles. The shipped example tables are examples, not warned about.
 */
function warnTablesWithTerms(service: TwinService, logger: Logger, fileIds: ReadonlySet<string>): void {
  const shipped = new Set(DEFAULT_PRICING);
  const tables = tablesWithTerms(service.pricing.list().filter((c) => !shipped.has(c)));
  if (tables.length === 0) return;
  logger.warn(
    { tables, inPricingFile: tables.filter((id) => fileIds.has(id)) },
    'price tables still carry customer terms (taxes, SLA, discount): they apply only to tenants without a billing profile; run `twin-server profile migrate` (and remove them from the pricing file)',
  );
}

function createLogger(level: ServerEnv['LOG_LEVEL']): Logger {
  return pino({
    level,
    base: undefined,
    redact: { paths: ['*.authorization', '*.apiKey', '*.key', '*.password', 'headers.authorization', 'headers["x-api-key"]'], censor: '[redacted]' },
  });
}

function parseKeyring(spec: string | undefined): Keyring | undefined {
  if (!spec) return undefined;
  const entries = spec.split(',').map((part, i) => {
    const at = part.indexOf(':');
    if (at <= 0) throw new TwinError('config_invalid', `TWIN_CIPHER_KEYS entry ${i + 1} must be "id:base64key".`);
    const key = decodeBase64(part.slice(at + 1).trim());
    if (key.length !== 32) throw new TwinError('config_invalid', `TWIN_CIPHER_KEYS entry ${i + 1} must be a 32-byte key.`);
    return { id: part.slice(0, at).trim(), key };
  });
  return createKeyring(entries);
}

/**
 * Starts the reference server from environment variables (see docs/server.md): opens and migrates
 * the database, reconciles billing records a previous run left open, creates a first API key in
 * embedded mode, and serves the Twin router in an Express app.
 */
export async function startReferenceServer(vars: Record<string, string | undefined> = process.env, print: (line: string) => void = (l) => process.stdout.write(l + '\n')): Promise<RunningServer> {
  const env = readServerEnv(vars);
  const logger = createLogger(env.LOG_LEVEL);
  const host = env.HOST ?? (env.TWIN_AUTH === 'off' ? '127.0.0.1' : '0.0.0.0');
  if (env.TWIN_AUTH === 'off' && !['127.0.0.1', 'localhost', '::1'].includes(host)) {
    throw new TwinError('config_invalid', 'TWIN_AUTH=off is for local development: bind HOST to 127.0.0.1.');
  }
  // Validated before anything is opened: a bad file fails the start with the path in the file.
  const configFile = env.TWIN_CONFIG;
  const routing = configFile ? readRoutingConfigFile(configFile) : undefined;
  const lock = env.DATABASE_URL ? undefined : acquireDataDirLock(pgliteDir(env), 'serve');
  let database: OpenedDatabase;
  try {
    database = await openDatabase(
      env.DATABASE_URL ? { url: env.DATABASE_URL, ...(env.TWIN_DB_SCHEMA ? { schemaName: env.TWIN_DB_SCHEMA } : {}) } : { dataDir: pgliteDir(env) },
    );
  } catch (error) {
    lock?.release();
    throw error;
  }
  logger.debug({ driver: database.driver, location: database.location }, 'database ready (migrations applied)');
  const instanceId = instanceIdOf(env, hostname(), process.pid);
  const store = createTwinStore(database.db, {
    instanceId,
    onWriteError: (table, err, rows) => logger.warn({ table, rows, err }, 'batch write failed; will retry'),
  });
  // The server's prompt counter (createTwinService's default, loaded once): the adapters estimate
  // usage their upstream does not report with it, not with a second copy of the rank table.
  const countTokens = await loadO200kTokenCounter();
  const registry = createProviderRegistry({ ...providerConfigFromEnv(vars), countTokens, simulated: {
      tokensPerSecond: env.TWIN_SIMULATED_TOKENS_PER_SECOND,
      // One shared timer for every simulated stream's per-token sleep (see slot-sleep.ts), and one
      // clock read per slot for the tokens it wakes (see wake-clock.ts).
      env: { sleep: createSlotSleep(), now: eventNow },
    },
  });
  if (registry.usingSimulated) {
    logger.warn('no provider key set (OPENAI_API_KEY, ANTHROPIC_API_KEY, GOOGLE_API_KEY, OLLAMA_BASE_URL): serving the offline simulated provider');
  }
  const filePricing = env.TWIN_PRICING_FILE ? readPricingFile(env.TWIN_PRICING_FILE) : undefined;
  const service = await createTwinService({
    store,
    providers: registry,
    stream: {
      maxConnections: env.TWIN_MAX_CONNECTIONS,
      maxConnectionsPerKey: env.TWIN_MAX_CONNECTIONS_PER_KEY,
      heartbeatIntervalMs: env.TWIN_HEARTBEAT_MS,
    },
    ...(filePricing ? { pricing: filePricing } : {}),
    auth: env.TWIN_AUTH === 'off' ? { mode: 'off' } : { mode: 'api-key' },
    logger,
    detachGraceMs: env.TWIN_DETACH_GRACE_MS,
    persistChunks: env.TWIN_PERSIST_CHUNKS,
    maxStorageBacklog: env.TWIN_MAX_STORAGE_BACKLOG,
    ...(env.TWIN_MAX_EVENT_LOOP_LAG_MS !== undefined ? { maxEventLoopLagMs: env.TWIN_MAX_EVENT_LOOP_LAG_MS } : {}),
    ...(env.TWIN_CIPHER_KEYS ? { keyring: parseKeyring(env.TWIN_CIPHER_KEYS)! } : {}),
    ...(routing ? { routing, routingSource: () => readRoutingConfigFile(configFile!) } : {}),
    secrets: vars,
    ...(env.TWIN_RATE_LIMIT_RPM || env.TWIN_RATE_LIMIT_TPM
      ? { defaultKeyLimits: { requestsPerMinute: env.TWIN_RATE_LIMIT_RPM, tokensPerMinute: env.TWIN_RATE_LIMIT_TPM } }
      : {}),
    ...(env.TWIN_CORS_ORIGINS
      ? { cors: { origins: env.TWIN_CORS_ORIGINS === '*' ? '*' : env.TWIN_CORS_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean), credentials: env.TWIN_CORS_CREDENTIALS } }
      : {}),
    // The routing file declares the policy when it names one; the environment otherwise.
    unpricedModels: routing?.unpricedModels ?? env.TWIN_UNPRICED_MODELS,
    ...(env.REDIS_URL ? { cluster: { redisUrl: env.REDIS_URL, instanceId, leaseMs: env.TWIN_LEASE_MS, ...(env.TWIN_REDIS_PREFIX ? { keyPrefix: env.TWIN_REDIS_PREFIX } : {}) } } : {}),
  });
  warnUnpricedModels(service, logger);
  warnTablesWithTerms(service, logger, new Set(tablesWithTerms(filePricing ?? [])));
  const reconciled = await service.reconcile();
  if (reconciled.reconciled > 0) logger.warn({ count: reconciled.reconciled }, 'finalized billing records left open by the previous run');

  // First run in embedded mode: one admin key for tenant "dev", shown once and kept in the data dir.
  let devKeyFile: string | undefined;
  if (env.TWIN_AUTH === 'api-key' && database.driver === 'pglite') {
    devKeyFile = join(env.TWIN_DATA_DIR, 'dev-api-key');
    if ((await store.countApiKeys()) === 0) {
      const created = await createApiKey(store, { tenantId: 'dev', name: 'first-run dev key', role: 'admin' });
      writeFileSync(devKeyFile, created.key + '\n', { mode: 0o600 });
      chmodSync(devKeyFile, 0o600);
      print(`\n  First run: created an admin API key for tenant "dev" (shown once, also saved to ${devKeyFile}):\n\n    ${created.key}\n`);
    } else if (!existsSync(devKeyFile)) {
      devKeyFile = undefined;
    }
  }

  const app = express();
  app.disable('x-powered-by');
  const router = createTwinRouter({ service });
  app.use(router);
  app.use((_req, res) => {
    sendError(res, new TwinError('not_found', 'No such route. See /openapi.json.', { details: { field: '(path)' } }));
  });
  // Express answers its own errors with an HTML page; every error here is the JSON shape.
  app.use((error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => sendError(res, error));
  const server = createServer(app);
  server.on('clientError', answerClientError);
  // Streams are long-lived: no socket idle timeout (heartbeats keep proxies awake instead).
  server.timeout = 0;
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(env.PORT, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : env.PORT;
  const url = `http://${host === '0.0.0.0' || host === '::' ? 'localhost' : host}:${port}`;
  lock?.setUrl(url);
  const router0 = service.router;
  logger.info({ url, providers: router0.providerNames, default: router0.defaultProvider, auth: env.TWIN_AUTH }, 'twin-server listening');
  const auth = env.TWIN_AUTH === 'off' ? '' : devKeyFile ? ` -H "Authorization: Bearer $(cat ${devKeyFile})"` : ' -H "Authorization: Bearer <your key>"';
  print(
    [
      '',
      `  twin-server  ${url}`,
      `  storage      ${database.driver === 'pglite' ? `PGlite in ${database.location}` : `Postgres ${database.location}`}`,
      `  providers    ${router0.providerNames.map((n) => (n === router0.defaultProvider ? `${n} (default)` : n)).join(', ')}${router0.aliases.length ? `; aliases ${router0.aliases.join(', ')}` : ''}`,
      ...(configFile ? [`  config       ${configFile} (reload: kill -HUP ${process.pid})`] : []),
      `  api key      ${env.TWIN_AUTH === 'off' ? 'none (TWIN_AUTH=off)' : devKeyFile ? `${devKeyFile} (admin, tenant dev)` : 'create one: twin-server keys create --tenant <id>'}`,
      `  try          curl -N${auth} "${url}/api/stream?prompt=Hello"`,
      ...(env.TWIN_AUTH !== 'off' ? [`  console      ${url}/admin (sign in with an admin key)`] : []),
      '',
    ].join('\n'),
  );

  let stopping: Promise<void> | undefined;
  return {
    url,
    server,
    service,
    database,
    reload() {
      service.reloadRouting();
    },
    stop() {
      stopping ??= (async () => {
        // Still listening while it drains: /health answers `draining` and clients resume here.
        const drainMs = env.TWIN_DRAIN_TIMEOUT_MS ?? (env.REDIS_URL ? 30_000 : 0);
        if (drainMs > 0) {
          logger.info({ drainMs, running: service.hub.activeStreams }, 'draining: new streams are refused, running ones finish');
          const left = await service.drain(drainMs);
          if (left > 0) logger.warn({ running: left }, 'drain timeout: stopping the streams still running (billed as interrupted)');
        }
        server.close();
        await service.shutdown(10_000);
        server.closeAllConnections();
        await store.close();
        await database.close();
        lock?.release();
        logger.info('twin-server stopped; every open stream was finalized');
      })();
      return stopping;
    },
  };
}
