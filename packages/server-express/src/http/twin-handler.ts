import type { IncomingMessage, ServerResponse } from 'node:http';
import { TwinError } from '@twin/core';
import { sql } from 'drizzle-orm';
import { createAdminConsole } from '../admin/admin-console';
import { adminKeys, adminLiveFeed, adminStreamDetail, adminTraffic, adminWhoAmI } from '../admin/admin-routes';
import { adminSpendSeries } from '../admin/spend-series';
import type { TwinService } from '../twin-service';
import { listAlerts, listBudgets, listConfigs, listRecords, putBudget, putConfigs, report } from './billing-routes';
import { ClientGoneError, watchClient, type RequestStage } from './client-presence';
import { getRouting, listDeliveries, reloadRouting, testAlert } from './operator-routes';
import { applyCors } from './cors';
import { describeValue } from './describe-value';
import { listStreamEvents } from './stream-events-route';
import { sendError, sendJson } from './http-util';
import { createKey, getKey, getTenantLimits, listKeys, putTenantLimits, revokeKey, rotateKey, updateKey } from './key-routes';
import { modelIdParam, streamIdParam } from './stream-id';
import { buildOpenApiDocument } from './openapi';
import { creditInvoice, getInvoice, getProfile, issueInvoice, listInvoices, putProfile } from './invoice-routes';
import { deleteStream, getStream, listActive, postStream, streamMetrics, streamStats, type RouteContext } from './stream-routes';
import { sendAnthropicError, postMessages } from './compat/anthropic-routes';
import { getModel, listModels, postChatCompletions, sendOpenAIError } from './compat/openai-routes';
import { postChat, resumeChat } from './ui-chat-routes';

type Handler = (ctx: RouteContext) => Promise<void>;
type ErrorSender = (res: ServerResponse, error: unknown) => void;
interface Route {
  pattern: RegExp;
  keys: string[];
  methods: Partial<Record<string, Handler>>;
  /** How this route answers errors (auth included): Twin's shape, or a compatible door's. */
  sendError: ErrorSender;
  /** Checks and decodes one path parameter before anything sees it (400 when it has the wrong shape). */
  param: (raw: string, key: string) => string;
}

/** `:key` matches one path segment, `:key*` the rest of the path (slashes included). */
function route(
  path: string,
  methods: Partial<Record<string, Handler>>,
  errors: ErrorSender = sendError,
  param: (raw: string, key: string) => string = streamIdParam,
): Route {
  const keys: string[] = [];
  const pattern = new RegExp(
    '^' +
      path.replace(/:(\w+)(\*?)/g, (_, key: string, rest: string) => {
        keys.push(key);
        return rest ? '(.+?)' : '([^/]+)';
      }) +
      '/?$',
  );
  return { pattern, keys, methods, sendError: errors, param };
}

// Static segments first: `/api/stream/active` must not be read as a stream id.
const ROUTES: Route[] = [
  route('/api/stream', { GET: getStream, POST: postStream }),
  route('/api/stream/active', { GET: listActive }),
  route('/api/stream/stats', { GET: streamStats }),
  route('/api/stream/:id/metrics', { GET: streamMetrics }),
  route('/api/stream/:id/events', { GET: listStreamEvents }),
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
  route('/api/keys', { GET: listKeys, POST: createKey }),
  route('/api/keys/:id/rotate', { POST: rotateKey }),
  route('/api/keys/:id', { GET: getKey, PATCH: updateKey, DELETE: revokeKey }),
  route('/api/tenants/:id/limits', { GET: getTenantLimits, PUT: putTenantLimits }),
  route('/api/admin/routing', { GET: getRouting }),
  route('/api/admin/routing/reload', { POST: reloadRouting }),
  route('/api/admin/webhooks/deliveries', { GET: listDeliveries }),
  route('/api/admin/alerts/test', { POST: testAlert }),
  // Compatible doors: OpenAI's and Anthropic's APIs, answered in their own shapes, errors included.
  route('/v1/chat/completions', { POST: postChatCompletions }, sendOpenAIError),
  route('/v1/models', { GET: listModels }, sendOpenAIError),
  route('/v1/models/:id*', { GET: getModel }, sendOpenAIError, modelIdParam),
  route('/v1/messages', { POST: postMessages }, sendAnthropicError),
  route('/api/billing/profile', { GET: getProfile, PUT: putProfile }),
  route('/api/billing/invoices', { GET: listInvoices, POST: issueInvoice }),
  route('/api/billing/invoices/:number/credit-note', { POST: creditInvoice }),
  route('/api/billing/invoices/:number', { GET: getInvoice }),
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
    // Behind a load balancer: which instance answered (logs, debugging, the cluster tests).
    if (service.cluster) res.setHeader('X-Twin-Instance', service.cluster.instanceId);
    if (applyCors(service.cors, req, res)) return;

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
        if (r.sendError === sendError) methodNotAllowed(res, method, path, Object.keys(r.methods));
        else {
          res.setHeader('Allow', Object.keys(r.methods).join(', '));
          r.sendError(res, new TwinError('method_not_allowed', `Method ${describeValue(method)} is not allowed on ${describeValue(path)}.`, { status: 405 }));
        }
        return;
      }
      const params: Record<string, string> = {};
      try {
        // Ids are checked here, before authentication and before any query can see them.
        r.keys.forEach((key, i) => (params[key] = r.param(match[i + 1]!, key)));
      } catch (error) {
        r.sendError(res, error);
        return;
      }
      void run(service, handler, req, res, url, params, r.sendError);
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
  errors: ErrorSender,
): Promise<void> {
  // Watched before the first await: a client that leaves while we wait on the database is noticed.
  const presence = watchClient(req, res);
  const checkpoint = async (stage: RequestStage): Promise<void> => {
    const hook = service.hooks?.afterAwait;
    if (hook) await hook(stage, req);
    if (presence.gone) throw new ClientGoneError(stage);
  };
  try {
    const auth = await service.auth.authenticate(req, url);
    await checkpoint('auth');
    await handler({ req, res, url, params, service, auth, checkpoint });
  } catch (error) {
    if (error instanceof ClientGoneError || presence.gone) {
      // Nobody to answer, nothing started, nothing billed: only counted. An await that failed
      // because the client left (a body cut off mid-way) counts as `request`.
      service.metrics.clientGone.inc({ stage: error instanceof ClientGoneError ? error.stage : 'request' });
      return;
    }
    const twin = error instanceof TwinError ? error : undefined;
    if (twin?.code === 'capacity_exceeded') {
      // A deliberate refusal (a limit, a backlog, overload), counted in twin_rejected_total: under
      // overload an error line with a stack per refused request would only add to the load.
      service.logger.debug({ code: twin.code, method: req.method, path: url.pathname, reason: twin.message }, 'request refused');
    } else if (!twin || twin.status >= 500) {
      service.logger.error({ err: error, method: req.method, path: url.pathname }, 'request failed');
    }
    errors(res, error);
  } finally {
    presence.stop();
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
  // A draining instance answers 503 so a balancer's health check takes it out of rotation.
  const draining = service.hub.isDraining;
  sendJson(res, database === 'ok' && !draining ? 200 : 503, {
    status: draining ? 'draining' : database === 'ok' ? 'ok' : 'degraded',
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
