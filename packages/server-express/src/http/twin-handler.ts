import type { IncomingMessage, ServerResponse } from 'node:http';
import { TwinError } from '@twin/core';
import { sql } from 'drizzle-orm';
import { createAdminConsole } from '../admin/admin-console';
import { adminKeys, adminLiveFeed, adminStreamDetail, adminTraffic, adminWhoAmI } from '../admin/admin-routes';
import { adminSpendSeries } from '../admin/spend-series';
import type { TwinService } from '../twin-service';
import { listAlerts, listBudgets, listConfigs, listRecords, putBudget, putConfigs, report } from './billing-routes';
import { describeValue } from './describe-value';
import { sendError, sendJson } from './http-util';
import { streamIdParam } from './stream-id';
import { buildOpenApiDocument } from './openapi';
import { deleteStream, getStream, listActive, postStream, streamMetrics, streamStats, type RouteContext } from './stream-routes';

type Handler = (ctx: RouteContext) => Promise<void>;
interface Route {
  pattern: RegExp;
  keys: string[];
  methods: Partial<Record<string, Handler>>;
}

function route(path: string, methods: Partial<Record<string, Handler>>): Route {
  const keys: string[] = [];
  const pattern = new RegExp(
    '^' +
      path.replace(/:(\w+)/g, (_, key: string) => {
        keys.push(key);
        return '([^/]+)';
      }) +
      '/?$',
  );
  return { pattern, keys, methods };
}

// Static segments first: `/api/stream/active` must not be read as a stream id.
const ROUTES: Route[] = [
  route('/api/stream', { GET: getStream, POST: postStream }),
  route('/api/stream/active', { GET: listActive }),
  route('/api/stream/stats', { GET: streamStats }),
  route('/api/stream/:id/metrics', { GET: streamMetrics }),
  route('/api/stream/:id', { DELETE: deleteStream }),
  route('/api/billing/records', { GET: listRecords }),
  route('/api/billing/report', { GET: report }),
  route('/api/billing/configs', { GET: listConfigs, PUT: putConfigs }),
  route('/api/billing/budgets', { GET: listBudgets, PUT: putBudget }),
  route('/api/billing/alerts', { GET: listAlerts }),
  route('/api/admin/whoami', { GET: adminWhoAmI }),
  route('/api/admin/live', { GET: adminLiveFeed }),
  route('/api/admin/traffic', { GET: adminTraffic }),
  route('/api/admin/keys', { GET: adminKeys }),
  route('/api/admin/spend', { GET: adminSpendSeries }),
  route('/api/admin/streams/:id', { GET: adminStreamDetail }),
];

// Paths outside the route table and the methods they answer.
const FIXED_PATHS: Record<string, string[]> = { '/health': ['GET', 'HEAD'], '/metrics': ['GET'], '/openapi.json': ['GET'] };

function methodNotAllowed(res: ServerResponse, method: string, path: string, allowed: string[]): void {
  res.setHeader('Allow', allowed.join(', '));
  sendError(
    res,
    new TwinError('method_not_allowed', `Method ${describeValue(method)} is not allowed on ${describeValue(path)}; allowed: ${allowed.join(', ')}.`, {
      details: { field: '(method)', received: describeValue(method), allowed: allowed.join(', ') },
    }),
  );
}

/** A Node request handler; `next` (Express) is called for paths Twin does not own. */
export type TwinRequestHandler = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => void;

/**
 * The framework-free HTTP surface of a {@link TwinService}: `/api/stream*`, `/api/billing/*`,
 * `/api/admin/*`, `/health`, `/metrics`, `/openapi.json`, and the admin console at `/admin`. Paths are read relative to where it is mounted.
 */
export function createTwinHandler(service: TwinService): TwinRequestHandler {
  let openapi: string | undefined;
  const adminConsole = createAdminConsole();

  return (req, res, next) => {
    const url = new URL(req.url ?? '/', 'http://twin.local');
    const path = url.pathname;
    const method = req.method ?? 'GET';

    const fixed = FIXED_PATHS[path];
    if (fixed) {
      if (!fixed.includes(method)) {
        methodNotAllowed(res, method, path, fixed);
        return;
      }
      if (path === '/health') void health(service, res);
      else if (path === '/metrics') void prometheus(service, res);
      else {
        openapi ??= JSON.stringify(buildOpenApiDocument());
        res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'public, max-age=300' });
        res.end(openapi);
      }
      return;
    }

    if ((method === 'GET' || method === 'HEAD') && adminConsole(path, res)) return;

    for (const r of ROUTES) {
      const match = r.pattern.exec(path);
      if (!match) continue;
      const handler = r.methods[method];
      if (!handler) {
        methodNotAllowed(res, method, path, Object.keys(r.methods));
        return;
      }
      const params: Record<string, string> = {};
      try {
        // Ids are checked here, before authentication and before any query can see them.
        r.keys.forEach((key, i) => (params[key] = streamIdParam(match[i + 1]!, key)));
      } catch (error) {
        sendError(res, error);
        return;
      }
      void run(service, handler, req, res, url, params);
      return;
    }

    if (next) next();
    else sendError(res, new TwinError('not_found', `No route ${describeValue(method)} ${describeValue(path)}.`, { details: { field: '(path)' } }));
  };
}

async function run(
  service: TwinService,
  handler: Handler,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  params: Record<string, string>,
): Promise<void> {
  try {
    const auth = await service.auth.authenticate(req, url);
    await handler({ req, res, url, params, service, auth });
  } catch (error) {
    const twin = error instanceof TwinError ? error : undefined;
    if (twin?.code === 'capacity_exceeded') {
      // A deliberate refusal (a limit, a backlog, overload), counted in twin_rejected_total: under
      // overload an error line with a stack per refused request would only add to the load.
      service.logger.debug({ code: twin.code, method: req.method, path: url.pathname, reason: twin.message }, 'request refused');
    } else if (!twin || twin.status >= 500) {
      service.logger.error({ err: error, method: req.method, path: url.pathname }, 'request failed');
    }
    sendError(res, error);
  }
}

async function health(service: TwinService, res: ServerResponse): Promise<void> {
  let database = 'ok';
  try {
    await Promise.race([
      service.store.db.execute(sql`select 1`),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2_000).unref()),
    ]);
  } catch {
    database = 'unavailable';
  }
  sendJson(res, database === 'ok' ? 200 : 503, {
    status: database === 'ok' ? 'ok' : 'degraded',
    database,
    activeStreams: service.hub.activeStreams,
    openConnections: service.hub.openConnections,
    providers: service.providerNames(),
    uptimeSeconds: Math.round(process.uptime()),
  });
}

async function prometheus(service: TwinService, res: ServerResponse): Promise<void> {
  const { metrics, store } = service;
  metrics.storagePending.set({ table: 'stream_chunks' }, store.chunks.pending);
  metrics.storagePending.set({ table: 'stream_events' }, store.events.pending);
  metrics.storagePending.set({ table: 'stream_billing_records' }, store.openings.pending);
  const text = await metrics.registry.metrics();
  res.writeHead(200, { 'Content-Type': metrics.registry.contentType, 'Cache-Control': 'no-store' });
  res.end(text);
}
