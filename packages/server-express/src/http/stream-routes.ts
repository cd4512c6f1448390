import type { IncomingMessage, ServerResponse } from 'node:http';
import { TwinError, createPayloadSealer, safeParseJSON, streamRequestSchema, type StreamRequest } from '@twin/core';
import { randomId } from '../auth/api-key';
import { createNodeAead } from '../crypto/node-aead';
import type { AuthContext } from '../auth/authenticator';
import type { SealingFactory } from '../stream/connection-sealing';
import type { LiveStream } from '../stream/live-stream';
import type { WireFormat } from '../stream/wire-format';
import type { TwinService } from '../twin-service';
import { readJsonBody, sendJson, validate } from './http-util';
import { negotiateEncoding } from './negotiate-encoding';
import { PERIOD_MS, metricsQuerySchema, streamQuerySchema } from './schemas';

/** Context every route handler gets. */
export interface RouteContext {
  req: IncomingMessage & { body?: unknown };
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
  service: TwinService;
  auth: AuthContext;
}

function queryObject(url: URL): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of url.searchParams) out[k] = v;
  return out;
}

/** `Last-Event-ID` header (what EventSource sends) or `lastEventId` query; -1 means from the start. */
function lastEventIdOf(req: IncomingMessage, fromQuery: number | undefined): number {
  const header = req.headers['last-event-id'];
  if (typeof header === 'string' && header.trim() !== '') {
    const n = Number(header.trim());
    if (!Number.isSafeInteger(n) || n < -1) {
      throw new TwinError('invalid_request', 'Invalid Last-Event-ID: must be an integer ≥ -1.', { details: { field: 'Last-Event-ID' } });
    }
    return n;
  }
  return fromQuery ?? -1;
}

/** Builds the stream request of `GET /api/stream` from its query string. */
function requestFromQuery(query: ReturnType<typeof streamQuerySchema.parse>): unknown {
  let messages: unknown;
  if (query.messages !== undefined) {
    const parsed = safeParseJSON(query.messages);
    if (!parsed.success) throw new TwinError('invalid_request', 'Invalid query: messages: not valid JSON.', { details: { field: 'messages' } });
    messages = parsed.value;
  } else if (query.prompt !== undefined) {
    messages = [...(query.system ? [{ role: 'system', content: query.system }] : []), { role: 'user', content: query.prompt }];
  }
  return {
    ...(query.provider ? { provider: query.provider } : {}),
    ...(query.model ? { model: query.model } : {}),
    messages,
    ...(query.maxTokens !== undefined ? { maxTokens: query.maxTokens } : {}),
    ...(query.temperature !== undefined ? { temperature: query.temperature } : {}),
    ...(query.codec || query.purpose
      ? { options: { ...(query.codec ? { codec: query.codec } : {}), ...(query.purpose ? { purpose: query.purpose } : {}) } }
      : {}),
  };
}

// node:crypto AEAD for sealing on the server (stateless; one per process).
const NODE_AEAD = createNodeAead();

/**
 * The sealing a request asks for (`options.codec`, `options.encryption`), as a factory: each
 * connection of the stream (the first and every resume) gets its own core payload sealer.
 */
function sealingFor(ctx: RouteContext, streamId: string, request: Pick<StreamRequest, 'options'>): SealingFactory | undefined {
  const codec = request.options?.codec;
  const encryption = request.options?.encryption;
  if ((codec === undefined || codec === 'identity') && encryption === undefined) return undefined;
  const keyring = ctx.service.keyring;
  if (encryption) {
    if (!keyring) {
      throw new TwinError('invalid_request', 'This server has no encryption keys configured (TWIN_CIPHER_KEYS).', { details: { field: 'options.encryption' } });
    }
    if (encryption.keyId !== undefined && encryption.keyId !== keyring.current().id) {
      throw new TwinError('invalid_request', `Unknown key id "${encryption.keyId}"; the current key is "${keyring.current().id}".`, {
        details: { field: 'options.encryption.keyId' },
      });
    }
  }
  const cipher = encryption && keyring ? { keyring, alg: encryption.alg } : undefined;
  return () => {
    const sealer = createPayloadSealer({ streamId, codec: codec ?? 'identity', aead: NODE_AEAD, ...(cipher ? { cipher } : {}) });
    return {
      sealer,
      ...(codec && codec !== 'auto' && codec !== 'identity' ? { codec } : {}),
      ...(codec === 'auto' ? { codec: 'deflate' as const } : {}),
      ...(cipher ? { alg: cipher.alg, kid: cipher.keyring.current().id } : {}),
    };
  };
}

async function startStream(ctx: RouteContext, raw: unknown): Promise<void> {
  await startValidatedStream(ctx, validate(streamRequestSchema, raw, 'request'));
}

/**
 * Starts a stream for a validated request: provider and model, capacity and budget checks, then the
 * hub. `format` is the wire format of a door other than `/api/stream` (e.g. the AI SDK's). Resolves
 * with the stream id.
 */
export async function startValidatedStream(ctx: RouteContext, request: StreamRequest, format?: WireFormat): Promise<string> {
  const provider = ctx.service.provider(request.provider);
  const model = request.model ?? provider.defaultModel;
  if (!model) throw new TwinError('invalid_request', `Provider "${provider.name}" needs a model.`, { details: { field: 'model' } });
  ctx.service.hub.checkCapacity(ctx.auth);
  await ctx.service.budgets.check(ctx.auth.tenantId);
  // The id is chosen here because a sealer binds it into every sealed chunk's associated data.
  const streamId = randomId('str', 16);
  const sealing = sealingFor(ctx, streamId, request);
  ctx.service.hub.start(
    ctx.auth,
    {
      id: streamId,
      provider,
      model,
      request: {
        model,
        messages: request.messages,
        ...(request.tools ? { tools: request.tools } : {}),
        ...(request.maxTokens !== undefined ? { maxTokens: request.maxTokens } : {}),
        ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
        ...(request.stop ? { stop: request.stop } : {}),
        ...(request.providerOptions ? { providerOptions: request.providerOptions } : {}),
      },
      ...(request.options?.purpose ? { purpose: request.options.purpose } : {}),
      ...(request.metadata ? { metadata: request.metadata } : {}),
      encoding: negotiateEncoding(ctx.req.headers['accept-encoding']),
      ...(sealing ? { sealing } : {}),
      ...(format ? { format } : {}),
    },
    ctx.req,
    ctx.res,
  );
  return streamId;
}

/** `GET /api/stream`: start from the query, or resume with `streamId` + `Last-Event-ID`. */
export async function getStream(ctx: RouteContext): Promise<void> {
  const query = validate(streamQuerySchema, queryObject(ctx.url), 'query');
  if (query.streamId) {
    const lastEventId = lastEventIdOf(ctx.req, query.lastEventId);
    ctx.service.hub.resume(ctx.auth, query.streamId, lastEventId, ctx.req, ctx.res, negotiateEncoding(ctx.req.headers['accept-encoding']));
    return;
  }
  await startStream(ctx, requestFromQuery(query));
}

/** `POST /api/stream`: the body is a `StreamRequest`. `?streamId=` resumes instead. */
export async function postStream(ctx: RouteContext): Promise<void> {
  const streamId = ctx.url.searchParams.get('streamId');
  if (streamId) {
    const q = ctx.url.searchParams.get('lastEventId');
    const lastEventId = lastEventIdOf(ctx.req, q === null ? undefined : Number(q));
    ctx.service.hub.resume(ctx.auth, streamId, lastEventId, ctx.req, ctx.res, negotiateEncoding(ctx.req.headers['accept-encoding']));
    return;
  }
  await startStream(ctx, await readJsonBody(ctx.req));
}

function summary(stream: LiveStream) {
  return {
    id: stream.id,
    provider: stream.providerName,
    model: stream.model,
    ...(stream.purpose ? { purpose: stream.purpose } : {}),
    status: stream.status,
    createdAt: stream.createdAt.toISOString(),
    lastSeq: stream.lastSeq,
    connected: stream.hasConnection,
    ...(stream.receipt ? { cost: stream.receipt } : {}),
  };
}

/** `GET /api/stream/active`. */
export async function listActive(ctx: RouteContext): Promise<void> {
  sendJson(ctx.res, 200, { streams: ctx.service.hub.listActive(ctx.auth).map(summary) });
}

/** `GET /api/stream/:id/metrics?period=`: live from memory, or the stored copy once the stream is gone. */
export async function streamMetrics(ctx: RouteContext): Promise<void> {
  const query = validate(metricsQuerySchema, queryObject(ctx.url), 'query');
  const id = ctx.params.id!;
  const live = ctx.service.hub.get(ctx.auth, id);
  let metrics: Record<string, unknown> | undefined;
  let status: string | undefined;
  if (live) {
    metrics = live.getMetrics() as unknown as Record<string, unknown>;
    status = live.status;
  } else {
    const [row, connection] = await Promise.all([ctx.service.store.getMetrics(ctx.auth.tenantId, id), ctx.service.store.getConnection(ctx.auth.tenantId, id)]);
    if (!row && !connection) throw new TwinError('not_found', `No stream ${id}.`, { details: { field: 'id' } });
    metrics = row?.metrics;
    status = connection?.status;
  }
  let window: { period: string; events: number; bytes: number } | undefined;
  if (query.period !== 'all') {
    const since = new Date(Date.now() - PERIOD_MS[query.period]!);
    window = { period: query.period, ...(await ctx.service.store.chunkWindow(ctx.auth.tenantId, id, since)) };
  }
  sendJson(ctx.res, 200, { streamId: id, status, period: query.period, metrics, ...(window ? { window } : {}) });
}

/** `DELETE /api/stream/:id`: aborts the provider and answers with the bill. */
export async function deleteStream(ctx: RouteContext): Promise<void> {
  const stream = await ctx.service.hub.close(ctx.auth, ctx.params.id!);
  const record = await ctx.service.store.getBillingRecord(ctx.auth.tenantId, stream.id);
  sendJson(ctx.res, 200, { stream: summary(stream), billing: record });
}

/** `GET /api/stream/stats`: the caller's tenant; admins also see the whole server. */
export async function streamStats(ctx: RouteContext): Promise<void> {
  const now = Date.now();
  const hub = ctx.service.hub;
  const mine = hub.listActive(ctx.auth);
  const tenant = ctx.service.stats.compute(now, ctx.auth.tenantId, {
    activeStreams: mine.length,
    openConnections: mine.filter((s) => s.hasConnection).length,
  });
  const server =
    ctx.auth.role === 'admin'
      ? ctx.service.stats.compute(now, undefined, { activeStreams: hub.activeStreams, openConnections: hub.openConnections })
      : undefined;
  sendJson(ctx.res, 200, { tenant, ...(server ? { server } : {}) });
}
