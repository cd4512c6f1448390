import { TwinError } from '@twin/core';
import { and, asc, eq } from 'drizzle-orm';
import { streamEvents } from '../storage/schema';
import { sendJson } from './http-util';
import type { RouteContext } from './stream-routes';

/**
 * `GET /api/stream/:id/events`: a stream's audit events (`stream.start`, `provider.attempt` for
 * each provider a fallback chain tried, the end), oldest first; another tenant's stream is 404.
 * Events are written behind the stream (in batches every 50 ms), so a stream's last events appear
 * a moment after its end; a read never forces a write on a busy server.
 */
export async function listStreamEvents(ctx: RouteContext): Promise<void> {
  const id = ctx.params.id!;
  const rows = await ctx.service.store.db
    .select({ type: streamEvents.type, data: streamEvents.data, createdAt: streamEvents.createdAt })
    .from(streamEvents)
    .where(and(eq(streamEvents.streamId, id), eq(streamEvents.tenantId, ctx.auth.tenantId)))
    .orderBy(asc(streamEvents.createdAt), asc(streamEvents.id))
    .limit(1_000);
  if (rows.length === 0) throw new TwinError('not_found', `No stream ${id}.`, { details: { field: 'id' } });
  sendJson(ctx.res, 200, { streamId: id, events: rows.map((r) => ({ type: r.type, data: r.data, createdAt: r.createdAt.toISOString() })) });
}
