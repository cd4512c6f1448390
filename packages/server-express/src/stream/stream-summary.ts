import type { LiveStream } from './live-stream';

/** A stream as `/api/stream/active` and `DELETE /api/stream/:id` show it. */
export function streamSummary(stream: LiveStream) {
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
