import { and, asc, eq } from 'drizzle-orm';
import { auditRowItems } from '../storage/audit-segment';
import { streamChunks, streamEvents } from '../storage/schema';
import type { TwinStore } from '../storage/twin-store';
import type { StreamReplay, TimelineEntry } from './admin-api-types';

function receiptTotal(cost: unknown): Record<string, unknown> {
  const c = cost as { total?: unknown; currency?: unknown } | undefined;
  return c && typeof c.total === 'string' ? { total: c.total, currency: c.currency } : {};
}

/**
 * Reads a stream's audit log (`stream_events` and the `stream_chunks` segments), scoped to the
 * tenant: another tenant's stream reads as empty. The text is what the chunk events carried, so it
 * equals what a client that read the stream received.
 */
export async function readStreamReplay(store: TwinStore, tenantId: string, streamId: string): Promise<StreamReplay> {
  const [events, segments] = await Promise.all([
    store.db
      .select({ type: streamEvents.type, data: streamEvents.data, createdAt: streamEvents.createdAt })
      .from(streamEvents)
      .where(and(eq(streamEvents.streamId, streamId), eq(streamEvents.tenantId, tenantId)))
      .orderBy(asc(streamEvents.id))
      .limit(1_000),
    store.db
      .select({ seq: streamChunks.seq, lastSeq: streamChunks.lastSeq, event: streamChunks.event, data: streamChunks.data, bytes: streamChunks.bytes, createdAt: streamChunks.createdAt })
      .from(streamChunks)
      .where(and(eq(streamChunks.streamId, streamId), eq(streamChunks.tenantId, tenantId)))
      .orderBy(asc(streamChunks.seq)),
  ]);
  const timeline: TimelineEntry[] = [];
  for (const e of events) {
    const kind = e.type.startsWith('stream.') ? e.type.slice('stream.'.length) : e.type;
    timeline.push({ at: e.createdAt.toISOString(), kind, ...(e.data ? { detail: e.data } : {}) });
  }
  let text = '';
  let reasoning = '';
  let sealed = false;
  let count = 0;
  let bytes = 0;
  for (const row of segments) {
    bytes += row.bytes;
    const items = auditRowItems(row.event, row.data);
    let chunks = 0;
    let chars = 0;
    for (const item of items) {
      count++;
      const data = item.data ?? {};
      if (item.event === 'chunk') {
        chunks++;
        if (data.sealed === true) sealed = true;
        if (typeof data.text === 'string') {
          text += data.text;
          chars += data.text.length;
        }
        if (typeof data.reasoning === 'string') reasoning += data.reasoning;
      } else if (item.event === 'error' || item.event === 'complete') {
        timeline.push({
          at: row.createdAt.toISOString(),
          kind: item.event,
          ...(typeof data.seq === 'number' ? { seq: data.seq } : {}),
          // The receipt's total (its lines are the bill's, shown beside the timeline).
          detail: item.event === 'error' ? { code: data.code, message: data.message } : receiptTotal(data.cost),
        });
      }
    }
    if (chunks > 0) timeline.push({ at: row.createdAt.toISOString(), kind: 'chunks', seq: row.seq, lastSeq: row.lastSeq ?? row.seq, detail: { events: chunks, chars } });
  }
  // Start first and end last whatever their stamps (a segment is stamped when it is flushed, which
  // can be a millisecond after the end was); the rest by time, the stream's own order within a time.
  const rank = (k: string) => (k === 'start' ? 0 : k === 'end' ? 4 : k === 'error' || k === 'complete' ? 2 : 1);
  const edge = (k: string) => (k === 'start' ? -1 : k === 'end' ? 1 : 0);
  timeline.sort((a, b) => edge(a.kind) - edge(b.kind) || a.at.localeCompare(b.at) || rank(a.kind) - rank(b.kind));
  return { timeline, text, reasoning, sealed, events: count, bytes };
}
