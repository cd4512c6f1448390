import { TwinError, encodeSSE, encodeSSEComment, type StreamBillingRecord, type StreamMetrics } from '@twin/core';
import { z } from 'zod';
import type { AuthContext } from '../auth/authenticator';
import { sendJson, validate } from '../http/http-util';
import type { RouteContext } from '../http/stream-routes';
import type { AdminLiveSnapshot, AdminStreamDetail, AdminTraffic, AdminWhoAmI, LiveStreamSummary } from './admin-api-types';
import type { RemoteInstance } from '../cluster/live-board';
import type { LiveStream } from '../stream/live-stream';
import { liveSnapshotsOf } from './live-snapshots';
import { summariseLiveStream } from './live-stream-summary';
import { readStreamReplay } from './stream-timeline';
import { buildTrafficSeries } from './traffic-series';

/**
 * The console's API is for admin and tenant-admin keys (members stream and read their records, not
 * watch the tenant); every answer stays within the key's tenant.
 */
export function requireConsoleRole(auth: AuthContext): void {
  if (auth.role !== 'admin' && auth.role !== 'tenant-admin') throw new TwinError('forbidden', 'The admin console needs an admin or tenant-admin API key.');
}

/** A tenant's running streams and connections: this instance's, plus the others' last publication (at most a tick old). */
function clusterCounts(running: readonly LiveStream[], remote: readonly RemoteInstance[]): { activeStreams: number; openConnections: number } {
  return {
    activeStreams: running.length + remote.reduce((n, r) => n + r.tenant.streams, 0),
    openConnections: running.filter((s) => s.hasConnection).length + remote.reduce((n, r) => n + r.tenant.connections, 0),
  };
}

const feedQuerySchema = z.object({ intervalMs: z.coerce.number().int().min(250).max(10_000).default(1_000) });

/**
 * `GET /api/admin/live`: an SSE feed (core's encoder) of the tenant's running streams, one `live`
 * event per interval with every row, so a console that missed one needs nothing else to be right.
 * A console that reads slowly gets fewer snapshots, never a queue: while the socket is
 * backpressured (or the previous tick still waits on Redis) the ticks are skipped. Cluster mode:
 * the rows and counts of every instance (from the live board), each row naming its instance.
 */
export async function adminLiveFeed(ctx: RouteContext): Promise<void> {
  requireConsoleRole(ctx.auth);
  const { intervalMs } = validate(feedQuerySchema, Object.fromEntries(ctx.url.searchParams), 'query');
  const { res, req, service } = ctx;
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    'X-Accel-Buffering': 'no',
    ...(req.httpVersionMajor === 1 ? { Connection: 'keep-alive' } : {}),
  });
  res.write(encodeSSE({ comment: 'twin admin', retry: 2_000 }));
  let seq = 0;
  let blocked = false;
  let busy = false;
  const board = service.board;
  const tenantId = ctx.auth.tenantId;
  const tick = async () => {
    if (blocked || busy || res.destroyed) return;
    busy = true;
    try {
      await write();
    } finally {
      busy = false;
    }
  };
  const write = async () => {
    void board?.watch(tenantId);
    const remote = board ? await board.others(tenantId, true) : [];
    if (res.destroyed) return;
    const now = Date.now();
    const running = service.hub.listActive(ctx.auth);
    let streams: LiveStreamSummary[] = liveSnapshotsOf(service.hub).rows(tenantId, () => running, service.pricing.list(), now);
    if (board) streams = [...streams.map((row) => ({ ...row, instance: board.instanceId })), ...remote.flatMap((r) => r.rows)];
    const stats = service.stats.compute(now, tenantId, clusterCounts(running, remote));
    const hour = service.signals.since(now - 3_600_000, tenantId);
    const data: AdminLiveSnapshot = {
      v: 1,
      at: now,
      streams,
      stats,
      network: {
        dropsLastHour: hour.filter((s) => s.kind === 'drop').length,
        resumesLastHour: hour.filter((s) => s.kind === 'resume').length,
        stallsLastHour: hour.filter((s) => s.kind === 'stall').length,
      },
    };
    if (!res.write(encodeSSE({ id: seq++, event: 'live', data: JSON.stringify(data) }))) {
      blocked = true;
      res.once('drain', () => (blocked = false));
    }
  };
  const run = () => void tick().catch((error: unknown) => service.logger.warn({ err: error }, 'admin live feed tick failed'));
  run();
  const timer = setInterval(run, intervalMs);
  // A comment now and then keeps proxies from closing a quiet feed (ticks are data, but may be skipped).
  const heartbeat = setInterval(() => !blocked && !res.destroyed && res.write(encodeSSEComment('hb')), 15_000);
  res.on('close', () => {
    clearInterval(timer);
    clearInterval(heartbeat);
  });
}

/**
 * `GET /api/admin/streams/:id`: one stream of the tenant: its bill, connection, metrics, the
 * timeline from the audit log, the text replayed from it, and (while it runs) its live row.
 */
export async function adminStreamDetail(ctx: RouteContext): Promise<void> {
  requireConsoleRole(ctx.auth);
  const id = ctx.params.id!;
  const { store, hub, pricing, board } = ctx.service;
  const live = hub.get(ctx.auth, id);
  const [billing, connection, metricsRow, replay, remote] = await Promise.all([
    store.getBillingRecord(ctx.auth.tenantId, id),
    store.getConnection(ctx.auth.tenantId, id),
    store.getMetrics(ctx.auth.tenantId, id),
    readStreamReplay(store, ctx.auth.tenantId, id),
    // Cluster mode: a stream another instance runs is described by that instance.
    !live && hub.cluster ? hub.cluster.describeRemote(ctx.auth, id) : undefined,
  ]);
  if (!live && !remote && !billing && !connection) throw new TwinError('not_found', `No stream ${id}.`, { details: { field: 'id' } });
  const liveRow = live?.isRunning ? { ...summariseLiveStream(live, pricing.list(), Date.now()), ...(board ? { instance: board.instanceId } : {}) } : remote?.live;
  const answer: AdminStreamDetail<StreamBillingRecord, StreamMetrics> = {
    streamId: id,
    status: live?.status ?? remote?.status ?? connection?.status,
    ...(liveRow ? { live: liveRow } : {}),
    // Stored as the stream's StreamMetrics when it ended.
    metrics: live ? live.getMetrics() : ((remote?.metrics ?? metricsRow?.metrics) as StreamMetrics | undefined),
    connection: connection ?? null,
    billing: billing ?? null,
    ...replay,
  };
  sendJson(ctx.res, 200, answer);
}

const trafficQuerySchema = z.object({
  window: z.enum(['5m', '15m', '1h', '6h', '24h']).default('15m'),
  buckets: z.coerce.number().int().min(1).max(240).default(30),
});
const WINDOW_MS: Record<string, number> = { '5m': 300_000, '15m': 900_000, '1h': 3_600_000, '6h': 21_600_000, '24h': 86_400_000 };

/**
 * `GET /api/admin/traffic?window=&buckets=`: throughput, latency, error and completion rates, drops,
 * resumes and write stalls of the tenant, bucketed. From this process's memory (the newest 10,000
 * finished streams and 20,000 network signals): a restart starts it afresh; Prometheus keeps history.
 */
export async function adminTraffic(ctx: RouteContext): Promise<void> {
  requireConsoleRole(ctx.auth);
  const q = validate(trafficQuerySchema, Object.fromEntries(ctx.url.searchParams), 'query');
  const now = Date.now();
  const windowMs = WINDOW_MS[q.window]!;
  const since = now - windowMs;
  const series = buildTrafficSeries({
    finished: ctx.service.stats.samplesSince(since, ctx.auth.tenantId),
    network: ctx.service.signals.since(since, ctx.auth.tenantId),
    connections: ctx.service.connectionSamples.since(since, ctx.auth.tenantId),
    now,
    windowMs,
    buckets: q.buckets,
  });
  const running = ctx.service.hub.listActive(ctx.auth);
  const remote = ctx.service.board ? await ctx.service.board.others(ctx.auth.tenantId) : [];
  const answer: AdminTraffic = {
    window: q.window,
    ...series,
    now: clusterCounts(running, remote),
  };
  sendJson(ctx.res, 200, answer);
}

/** `GET /api/admin/keys`: the tenant's API keys (id, name, role, display prefix; never a hash). */
export async function adminKeys(ctx: RouteContext): Promise<void> {
  requireConsoleRole(ctx.auth);
  const rows = await ctx.service.store.listApiKeys(ctx.auth.tenantId);
  sendJson(ctx.res, 200, {
    keys: rows.map((k) => ({
      id: k.id,
      name: k.name,
      role: k.role,
      prefix: k.prefix,
      createdAt: k.createdAt,
      revokedAt: k.revokedAt ?? null,
      current: k.id === ctx.auth.apiKeyId,
    })),
  });
}

/** `GET /api/admin/whoami`: what the console signed in as. */
export async function adminWhoAmI(ctx: RouteContext): Promise<void> {
  requireConsoleRole(ctx.auth);
  const answer: AdminWhoAmI = { tenantId: ctx.auth.tenantId, apiKeyId: ctx.auth.apiKeyId, role: ctx.auth.role, providers: ctx.service.providerNames() };
  sendJson(ctx.res, 200, answer);
}
