import type { StreamSessionSnapshot } from '@twin/core';
import type { Logger } from 'pino';
import type { StreamEnding, TwinStore } from '../storage/twin-store';
import type { FinalBillingRecord } from './final-billing-record';

/**
 * Writes what a finished stream leaves behind in one group-committed transaction: the billing
 * record (finalized once), the connection row, metrics and buffer snapshot. Retried with backoff:
 * the bill must not be lost; if it still fails, the record stays open and the next start
 * reconciles it.
 */
export async function persistStreamEnd(input: {
  store: TwinStore;
  logger: Logger;
  stream: { id: string; tenantId: string; apiKeyId: string; purpose: string | undefined; createdAt: Date; status: string; lastSeq: number };
  snapshot: StreamSessionSnapshot;
  /** The stream's final billing record (`finalBillingRecord`). */
  record: FinalBillingRecord;
  metadata: Record<string, string> | undefined;
}): Promise<void> {
  const { store, logger, stream, snapshot, record } = input;
  const metrics = snapshot.metrics;
  const ended = new Date(record.endedAt);
  const ending: StreamEnding = {
    record,
    connection: {
      id: stream.id,
      tenantId: stream.tenantId,
      apiKeyId: stream.apiKeyId,
      provider: record.provider,
      model: record.model,
      purpose: stream.purpose ?? null,
      status: stream.status,
      endReason: record.endReason,
      errorCode: snapshot.error?.code ?? null,
      createdAt: stream.createdAt,
      firstByteAt: metrics.firstTokenAt !== undefined ? new Date(metrics.firstTokenAt) : null,
      endedAt: ended,
      lastSeq: Math.max(0, stream.lastSeq),
      metadata: input.metadata ?? null,
    },
    metrics: {
      streamId: stream.id,
      tenantId: stream.tenantId,
      ttftMs: metrics.ttftMs !== undefined ? Math.round(metrics.ttftMs) : null,
      durationMs: Math.round(metrics.durationMs),
      bytesSent: metrics.bytesSent,
      eventsSent: metrics.eventsSent,
      metrics: metrics as unknown as Record<string, unknown>,
      updatedAt: ended,
    },
    buffer: snapshot.buffer as unknown as Record<string, unknown>,
  };
  for (let attempt = 0; ; attempt++) {
    try {
      await store.endStream(ending);
      break;
    } catch (error) {
      if (attempt >= 5) {
        logger.error({ err: error, streamId: stream.id }, 'could not finalize the billing record; the next start reconciles it');
        break;
      }
      await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
    }
  }
  store.events.push({ streamId: stream.id, tenantId: stream.tenantId, type: 'stream.end', data: { endReason: record.endReason, status: stream.status }, createdAt: ended });
}
