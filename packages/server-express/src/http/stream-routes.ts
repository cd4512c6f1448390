import type { IncomingMessage, ServerResponse } from 'node:http';
import { TwinError, parseEventId, safeParseJSON, streamRequestSchema, type ProviderAttempt, type ProviderRequest, type StreamRequest } from '@twin/core';
import { recordAttempts } from '../routing/record-attempts';
import type { ResolvedModel } from '../routing/model-router';
import { randomId } from '../auth/api-key';
import type { AuthContext } from '../auth/authenticator';
import type { SealingFactory } from '../stream/connection-sealing';
import type { SealingSpec } from '../stream/live-stream-deps';
import type { StartStreamInput } from '../stream/start-stream-input';
import { sealingFromSpec } from '../stream/sealing-from-spec';
import { streamSummary } from '../stream/stream-summary';
import type { WireFormat } from '../stream/wire-format';
import type { TwinService } from '../twin-service';
import type { RequestStage } from './client-presence';
import { describeValue } from './describe-value';
import { readJsonBody, sendJson, validate } from './http-util';
import { readQuery } from './read-query';
import { negotiateEncoding, type TransportEncoding } from './negotiate-encoding';
import { PERIOD_MS, metricsQuerySchema, noQuerySchema, postStreamQuerySchema, streamQuerySchema } from './schemas';
import type { InstanceLoad, StreamStats } from '../admin/admin-api-types';

/** Context every route handler gets. */
export interface RouteContext {
  req: IncomingMessage & { body?: unknown };
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
  service: TwinService;
  auth: AuthContext;
  /**
   * Call after every await of the handler: throws when the client has gone meanwhile, so nothing
   * is started (no provider call, no slot, no bill) for a client that is no longer there.
   */
  checkpoint: (stage: RequestStage) => Promise<void>;
}

/** Where a reconnect wants to resume: the stream (when the id names it) and the last seq it has. */
interface ResumePoint {
  streamId?: string;
  lastEventId: number;
}

/**
 * `Last-Event-ID` header (what EventSource sends: `<streamId>:<seq>` since protocol 2, or a bare
 * seq), else the `lastEventId` query; -1 means from the start.
 */
function resumePointOf(req: IncomingMessage, fromQuery: number | undefined): ResumePoint {
  const header = req.headers['last-event-id'];
  if (typeof header === 'string' && header.trim() !== '') {
    const parsed = parseEventId(header);
    if (!parsed) {
      const text = header.trim();
      throw new TwinError('invalid_request', `Invalid Last-Event-ID: ${describeValue(text)} is not an event id.`, {
        details: { field: 'Last-Event-ID', received: describeValue(text), allowed: '-1, <seq> or <streamId>:<seq>' },
      });
    }
    return { ...(parsed.streamId ? { streamId: parsed.streamId } : {}), lastEventId: parsed.seq };
  }
  return { lastEventId: fromQuery ?? -1 };
}

/** The stream a request resumes: `?streamId=`, or the one its `Last-Event-ID` names; both must agree. */
function resumeTarget(queryStreamId: string | undefined | null, point: ResumePoint): string | undefined {
  if (queryStreamId && point.streamId && queryStreamId !== point.streamId) {
    throw new TwinError('invalid_request', 'Last-Event-ID names another stream than streamId.', { details: { field: 'Last-Event-ID' } });
  }
  return queryStreamId || point.streamId;
}

/**
 * Resumes a stream. A reconnect to a stream that has ended, from the end (`Last-Event-ID` at or
 * past its terminal event) or once it is no longer kept in memory, is answered **204 No Content**:
 * the answer that makes a browser's EventSource stop reconnecting (HTML spec), so it never starts a
 * new stream or a new bill. A reconnect from before the end still gets the events it missed.
 */
async function resumeStream(ctx: RouteContext, streamId: string, lastEventId: number): Promise<void> {
  const hub = ctx.service.hub;
  const live = hub.get(ctx.auth, streamId);
  if (!live && hub.cluster) {
    // Cluster mode: another instance may run it; its log here has the exact continuation.
    const encoding = negotiateEncoding(ctx.req.headers['accept-encoding']);
    const mayRunElsewhere = async () => {
      const record = await ctx.service.store.getBillingRecord(ctx.auth.tenantId, streamId);
      return record === undefined || record.state === 'open';
    };
    const done = await hub.cluster.resume(ctx.auth, streamId, lastEventId, ctx.req, ctx.res, encoding, () => ctx.checkpoint('lookup'), mayRunElsewhere);
    if (done === 'relayed') return;
    if (done === 'ended') {
      ctx.service.metrics.endedReconnects.inc();
      ctx.res.writeHead(204, { 'Cache-Control': 'no-store' });
      ctx.res.end();
      return;
    }
  }
  if (!live || (!live.isRunning && lastEventId >= live.lastSeq)) {
    const record = live ? undefined : await ctx.service.store.getBillingRecord(ctx.auth.tenantId, streamId);
    await ctx.checkpoint('lookup');
    if (!live && record?.state === 'open' && hub.cluster) {
      // Running on another instance that the shared log does not know of (Redis lost it): its own
      // instance can resume it from memory, and a retry may land there. Never a 204 that would end it.
      throw new TwinError('capacity_exceeded', `Stream ${streamId} runs on another instance that cannot be reached through Redis now; retry.`, { retryAfterMs: 500 });
    }
    const ended = live !== undefined || record !== undefined;
    if (!ended) throw new TwinError('not_found', `No resumable stream ${streamId}.`, { details: { field: 'streamId' } });
    ctx.service.metrics.endedReconnects.inc();
    ctx.res.writeHead(204, { 'Cache-Control': 'no-store' });
    ctx.res.end();
    return;
  }
  await hub.takeClusterSlot(ctx.auth, ctx.res);
  hub.resume(ctx.auth, streamId, lastEventId, ctx.req, ctx.res, negotiateEncoding(ctx.req.headers['accept-encoding']));
}

/** Builds the stream request of `GET /api/stream` from its query string. */
function requestFromQuery(query: ReturnType<typeof streamQuerySchema.parse>): unknown {
  let messages: unknown;
  if (query.messages !== undefined) {
    const parsed = safeParseJSON(query.messages);
    if (!parsed.success) throw new TwinError('invalid_request', 'Invalid query: messages: not valid JSON.', { details: { field: 'messages' } });
    messages = parsed.value;
  } else if (query.prompt !== undefined) {
    const user = { role: 'user', content: query.prompt };
    messages = query.system ? [{ role: 'system', content: query.system }, user] : [user];
  }
  // Assigned field by field, not spread from `cond ? { … } : {}`: a quick `?prompt=` start made an
  // object per absent field on every request.
  const request: Record<string, unknown> = {};
  if (query.provider) request.provider = query.provider;
  if (query.model) request.model = query.model;
  request.messages = messages;
  if (query.maxTokens !== undefined) request.maxTokens = query.maxTokens;
  if (query.temperature !== undefined) request.temperature = query.temperature;
  if (query.user) request.user = query.user;
  if (query.codec || query.purpose) {
    const options: Record<string, unknown> = {};
    if (query.codec) options.codec = query.codec;
    if (query.purpose) options.purpose = query.purpose;
    request.options = options;
  }
  return request;
}

/**
 * The sealing a request asks for (`options.codec`, `options.encryption`), validated against the
 * keyring: what the stream remembers (another instance seals a resume from it) and its factory.
 */
function sealingFor(ctx: RouteContext, streamId: string, request: Pick<StreamRequest, 'options'>): { spec: SealingSpec; factory: SealingFactory } | undefined {
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
  const spec: SealingSpec = { ...(codec ? { codec } : {}), ...(encryption ? { alg: encryption.alg } : {}) };
  return { spec, factory: sealingFromSpec(streamId, spec, keyring)! };
}

/** A key with allow-lists may only use the models and providers named in them (403 naming the field). */
function assertAllowed(auth: AuthContext, requested: string | undefined, resolved: ResolvedModel): void {
  if (auth.allowedProviders) {
    const denied = resolved.chain.map((t) => t.slice(0, t.indexOf('/'))).find((p) => !auth.allowedProviders!.includes(p));
    if (denied) throw new TwinError('forbidden', `This API key may not use provider "${denied}".`, { details: { field: 'provider' } });
  }
  if (auth.allowedModels) {
    const names = [requested, resolved.alias, ...resolved.chain, resolved.chain.length === 1 ? resolved.model : undefined];
    if (!names.some((n) => n !== undefined && auth.allowedModels!.includes(n))) {
      throw new TwinError('forbidden', `This API key may not use model "${requested ?? resolved.model}".`, { details: { field: 'model' } });
    }
  }
}

/** Which provider of a fallback chain served the stream, and why others were skipped, in its audit events. */
function recordAttempt(ctx: RouteContext, streamId: string, attempt: ProviderAttempt): void {
  ctx.service.store.events.push({
    streamId,
    tenantId: ctx.auth.tenantId,
    type: 'provider.attempt',
    data: { provider: attempt.provider, model: attempt.model ?? null, outcome: attempt.outcome, ...(attempt.error ? { error: { code: attempt.error.code, message: attempt.error.message } } : {}) },
    createdAt: new Date(),
  });
}

async function startStream(ctx: RouteContext, raw: unknown): Promise<void> {
  await startValidatedStream(ctx, validate(streamRequestSchema, raw, 'request'));
}

/**
 * Starts a stream for a validated request: model routing and the key's allow-lists, pricing,
 * capacity, budget and rate-limit checks (each await followed by a client-presence checkpoint),
 * then the hub. `format` is the wire format of a door other than `/api/stream` (e.g. the AI SDK's).
 * Resolves with the stream id.
 */
export async function startValidatedStream(
  ctx: RouteContext,
  request: StreamRequest,
  format?: WireFormat | ((streamId: string) => WireFormat),
  encoding?: TransportEncoding,
): Promise<string> {
  const resolved = ctx.service.resolveModel({ model: request.model, provider: request.provider });
  const model = resolved.model;
  assertAllowed(ctx.auth, request.model, resolved);
  // Never a silent zero: a model nobody prices is refused here, before any provider call (policy
  // `reject`); every provider/model of a fallback chain may serve, so each must be priced.
  const now = new Date();
  const priced = resolved.chain.every((target) => {
    const slash = target.indexOf('/');
    return ctx.service.pricing.check(target.slice(0, slash), target.slice(slash + 1), now).priced;
  });
  ctx.service.hub.checkCapacity(ctx.auth);
  let budgets;
  try {
    const subject = { tenantId: ctx.auth.tenantId, apiKeyId: ctx.auth.apiKeyId, ...(request.user ? { userId: request.user } : {}) };
    budgets = await ctx.service.budgets.check(subject, { unpriced: !priced });
  } catch (error) {
    if (error instanceof TwinError && error.code === 'budget_exceeded') ctx.service.metrics.rejected.inc({ reason: 'budget' });
    throw error;
  }
  await ctx.checkpoint('budget');
  const providerRequest: ProviderRequest = { model, messages: request.messages };
  if (request.tools) providerRequest.tools = request.tools;
  if (request.maxTokens !== undefined) providerRequest.maxTokens = request.maxTokens;
  if (request.temperature !== undefined) providerRequest.temperature = request.temperature;
  if (request.stop) providerRequest.stop = request.stop;
  if (request.providerOptions) providerRequest.providerOptions = request.providerOptions;
  // The cluster's connection caps (a slot held until the response closes), then the rate limits:
  // last of the checks, so a request refused for another reason does not use up the allowance.
  await ctx.service.hub.takeClusterSlot(ctx.auth, ctx.res);
  const reservation = await ctx.service.limits.admit(ctx.auth, providerRequest, ctx.res);
  // The id is chosen here because a sealer binds it into every sealed chunk's associated data.
  const streamId = randomId('str', 16);
  const chain = resolved.chain.length > 1 ? recordAttempts(resolved.provider, (attempt) => recordAttempt(ctx, streamId, attempt)) : resolved.provider;
  const provider = ctx.service.limits.settling(chain, reservation, providerRequest);
  const sealing = sealingFor(ctx, streamId, request);
  const input: StartStreamInput = { id: streamId, provider, model, request: providerRequest, encoding: encoding ?? negotiateEncoding(ctx.req.headers['accept-encoding']) };
  if (request.options?.purpose) input.purpose = request.options.purpose;
  if (request.metadata) input.metadata = request.metadata;
  if (request.user) input.userId = request.user;
  if (budgets.length) input.budgets = budgets;
  if (sealing) {
    input.sealing = sealing.factory;
    input.sealingSpec = sealing.spec;
    if (sealing.spec.alg) input.encrypted = true;
  }
  if (format) input.format = typeof format === 'function' ? format(streamId) : format;
  ctx.service.hub.start(ctx.auth, input, ctx.req, ctx.res);
  return streamId;
}

/**
 * `GET /api/stream`: start from the query, or resume with `streamId` + `Last-Event-ID`. A
 * `Last-Event-ID` that names a stream resumes it whatever else the query says: that is a browser's
 * EventSource reconnecting to the URL that started the stream.
 */
export async function getStream(ctx: RouteContext): Promise<void> {
  const query = validate(streamQuerySchema, readQuery(ctx.url), 'query');
  const point = resumePointOf(ctx.req, query.lastEventId);
  const target = resumeTarget(query.streamId, point);
  if (target) return resumeStream(ctx, target, point.lastEventId);
  await startStream(ctx, requestFromQuery(query));
}

/** `POST /api/stream`: the body is a `StreamRequest`. `?streamId=` (or a `Last-Event-ID` naming a stream) resumes instead. */
export async function postStream(ctx: RouteContext): Promise<void> {
  const query = validate(postStreamQuerySchema, readQuery(ctx.url), 'query');
  const point = resumePointOf(ctx.req, query.lastEventId);
  const target = resumeTarget(query.streamId, point);
  if (target) return resumeStream(ctx, target, point.lastEventId);
  const body = await readJsonBody(ctx.req);
  await ctx.checkpoint('body');
  await startStream(ctx, body);
}

/** `GET /api/stream/active`. */
export async function listActive(ctx: RouteContext): Promise<void> {
  validate(noQuerySchema, readQuery(ctx.url), 'query');
  const hub = ctx.service.hub;
  const local = hub.listActive(ctx.auth).map(streamSummary);
  // Cluster mode: the tenant's streams on every instance.
  const remote = hub.cluster ? await hub.cluster.listRemoteActive(ctx.auth) : [];
  sendJson(ctx.res, 200, { streams: [...local, ...remote] });
}

/** `GET /api/stream/:id/metrics?period=`: live from memory, or the stored copy once the stream is gone. */
export async function streamMetrics(ctx: RouteContext): Promise<void> {
  const query = validate(metricsQuerySchema, readQuery(ctx.url), 'query');
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
  validate(noQuerySchema, readQuery(ctx.url), 'query');
  const id = ctx.params.id!;
  const hub = ctx.service.hub;
  // Cluster mode: a stream of another instance is aborted there (its owner bills it, once).
  const summary = !hub.get(ctx.auth, id) && hub.cluster ? await hub.cluster.close(ctx.auth, id) : streamSummary(await hub.close(ctx.auth, id));
  const record = await ctx.service.store.getBillingRecord(ctx.auth.tenantId, id);
  sendJson(ctx.res, 200, { stream: summary, billing: record });
}

/**
 * `GET /api/stream/stats`: the caller's tenant; admins also see the whole server. Cluster mode: the
 * counts (active streams, connections) are the cluster's, and admins get them per instance; the
 * rates and latencies are of the streams that finished on the instance that answers.
 */
export async function streamStats(ctx: RouteContext): Promise<void> {
  validate(noQuerySchema, readQuery(ctx.url), 'query');
  const hub = ctx.service.hub;
  const board = ctx.service.board;
  const mine = hub.listActive(ctx.auth);
  const [remote, others] = await Promise.all([
    // The tenant's streams on other instances, from their logs (exact now).
    hub.cluster ? hub.cluster.listRemoteActive(ctx.auth) : [],
    // Every other instance's last publication (at most a second old): connections, and the server's counts.
    board ? board.others(ctx.auth.tenantId) : [],
  ]);
  const now = Date.now();
  const tenant = ctx.service.stats.compute(now, ctx.auth.tenantId, {
    activeStreams: mine.length + remote.length,
    openConnections: mine.filter((s) => s.hasConnection).length + others.reduce((n, o) => n + o.tenant.connections, 0),
  });
  let server: (StreamStats & { instances?: InstanceLoad[] }) | undefined;
  if (ctx.auth.role === 'admin') {
    const instances: InstanceLoad[] = [
      { instance: board?.instanceId ?? ctx.service.store.instanceId, activeStreams: hub.activeStreams, openConnections: hub.openConnections, at: now },
      ...others.map(({ instance, activeStreams, openConnections, at }) => ({ instance, activeStreams, openConnections, at })),
    ];
    server = {
      ...ctx.service.stats.compute(now, undefined, {
        activeStreams: instances.reduce((n, i) => n + i.activeStreams, 0),
        openConnections: instances.reduce((n, i) => n + i.openConnections, 0),
      }),
      ...(board ? { instances } : {}),
    };
  }
  sendJson(ctx.res, 200, { tenant, ...(server ? { server } : {}) });
}
