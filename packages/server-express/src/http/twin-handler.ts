import type { IncomingMessage, ServerResponse } from 'node:http';
import { TwinError } from '@twin/core';
import { sql } from 'drizzle-orm';
import { createAdminConsole } from '../admin/admin-console';
import { adminKeys, adminLiveFeed, adminStreamDetail, adminTraffic, adminWhoAmI } from '../admin/admin-routes';
import { adminSpendSeries } from '../admin/spend-series';
import type { TwinService } from '../twin-service';
import { listAlerts, listBudgets, listConfigs, listRecords, putBudget, putConfigs, report } from './billing-routes';
import { sendError, sendJson } from './http-util';
import { buildOpenApiDocument } from './openapi';
import { deleteStream, getStream, listActive, postStream, streamMetrics, streamStats, type RouteContext } from './stream-routes';
import { postChat, resumeChat } from './ui-chat-routes';

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
  // The AI SDK's useChat door (its DefaultChatTransport's paths).
  route('/api/chat', { POST: postChat }),
  route('/api/chat/:id/stream', { GET: resumeChat }),
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

    if (path === '/health' && (method === 'GET' || method === 'HEAD')) {
      void health(service, res);
      return;
    }
    if (path === '/metrics' && method === 'GET') {
      void prometheus(service, res);
      return;
    }
    if (path === '/openapi.json' && method === 'GET') {
      openapi ??= JSON.stringify(buildOpenApiDocument());
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'public, max-age=300' });
      res.end(openapi);
      return;
    }

    if ((method === 'GET' || method === 'HEAD') && adminConsole(path, res)) return;

    for (const r of ROUTES) {
      const match = r.pattern.exec(path);
      if (!match) continue;
      const handler = r.methods[method];
      if (!handler) {
        res.setHeader('Allow', Object.keys(r.methods).join(', '));
        sendError(res, new TwinError('invalid_request', `Method ${method} is not allowed on ${path}.`, { status: 405 }));
        return;
      }
      const params: Record<string, string> = {};
      r.keys.forEach((key, i) => {
        try {
          params[key] = decodeURIComponent(match[i + 1]!);
        } catch {
          params[key] = match[i + 1]!;
        }
      });
      void run(service, handler, req, res, url, params);
      return;
    }

    if (next) next();
    else sendError(res, new TwinError('not_found', `No route ${method} ${path}.`));
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
