import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSimulatedProvider, type Provider, type SimulatedProviderOptions, type StreamBillingConfig } from '@twin/core';
import { testBillingConfig } from '@twin/core/testing';
import {
  answerClientError,
  createApiKey,
  createTwinRouter,
  createTwinService,
  createTwinStore,
  openDatabase,
  type OpenedDatabase,
  type TwinService,
  type TwinServiceOptions,
  type TwinStore,
  type TwinRouter,
} from '../src/index';
import { afterAll, beforeAll } from 'vitest';
import { pgliteTemplate } from './pglite-template';

const PRICED_BY_DEFAULT = new Set(['simulated', 'openai', 'anthropic', 'google']);

/** A price table for a test provider: every model, small non-zero prices, older than any test's own. */
function testPricing(provider: string): StreamBillingConfig {
  return testBillingConfig({
    id: `test/${provider}`,
    provider,
    model: '*',
    effectiveFrom: '2000-01-01T00:00:00Z',
    tokens: { inputPer1K: '0.001', outputPer1K: '0.002' },
    streaming: { perSecond: '0.0001', perMB: '0.01' },
    infrastructure: { perConnection: '0.001', perHour: '0.01' },
  });
}

/**
 * One embedded database per test file, loaded from a migrated dump: PGlite's initdb takes seconds
 * of CPU, once per run instead of once per file (see pglite-template.ts).
 */
export async function openTestDatabase(): Promise<OpenedDatabase> {
  return openDatabase({ dataDir: 'memory://', loadDataDir: await pgliteTemplate() });
}

export interface TestServer {
  url: string;
  service: TwinService;
  store: TwinStore;
  server: Server;
  /** An API key of tenant `t1` and one of tenant `t2`. */
  keys: { t1: string; t2: string; admin: string };
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1 with the Twin router mounted, simulated provider(s). */
export async function startTestServer(
  database: OpenedDatabase,
  options: {
    simulated?: SimulatedProviderOptions;
    providers?: Provider[];
    service?: Partial<TwinServiceOptions>;
    mount?: (router: TwinRouter) => Server;
    /** The store's instance id (several servers on one database: a cluster's instances). */
    instanceId?: string;
  } = {},
): Promise<TestServer> {
  const store = createTwinStore(database.db, { batchIntervalMs: 10, ...(options.instanceId ? { instanceId: options.instanceId } : {}) });
  const providers = options.providers ?? [createSimulatedProvider({ tokensPerSecond: 200, outputTokens: 20, ...options.simulated })];
  const service = await createTwinService({
    store,
    providers,
    countTokens: (t) => Math.ceil(t.length / 4),
    processMetrics: false,
    ...options.service,
    // Test providers under made-up names get a price (a model nobody prices is refused by default);
    // the catalogue's providers and `simulated` keep their real prices, and a test's own tables win.
    pricing: [...(options.service?.pricing ?? []), ...providers.filter((p) => !PRICED_BY_DEFAULT.has(p.name)).map((p) => testPricing(p.name))],
  });
  const router = createTwinRouter({ service });
  const server = options.mount ? options.mount(router) : createServer((req, res) => router(req as never, res as never, () => {
    res.statusCode = 404;
    res.end();
  }));
  server.on('clientError', answerClientError);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const tenantSuffix = Math.random().toString(36).slice(2, 8);
  const [t1, t2, admin] = await Promise.all([
    createApiKey(store, { tenantId: `t1-${tenantSuffix}` }),
    createApiKey(store, { tenantId: `t2-${tenantSuffix}` }),
    createApiKey(store, { tenantId: `t1-${tenantSuffix}`, role: 'admin' }),
  ]);
  return {
    url: `http://127.0.0.1:${port}`,
    service,
    store,
    server,
    keys: { t1: t1.key, t2: t2.key, admin: admin.key },
    async close() {
      await service.shutdown(2_000);
      server.closeAllConnections();
      server.close();
      await store.flush();
    },
  };
}

/**
 * A test server on a database of its own for the tests of one file: opened and started before them
 * (`beforeAll`), closed after them. Its fields are filled in once the file's tests run.
 */
export function useTestServer(options?: Parameters<typeof startTestServer>[1]): TestServer {
  const t = {} as TestServer;
  let db: OpenedDatabase | undefined;
  beforeAll(async () => {
    db = await openTestDatabase();
    Object.assign(t, await startTestServer(db, options));
  });
  afterAll(async () => {
    await t.close?.();
    await db?.close();
  });
  return t;
}
