import type { BillingEndReason, StreamSessionSnapshot } from '@twin/core';
import type { Logger } from 'pino';
import type { TwinStore } from '../storage/twin-store';
import type { PricingBook } from './pricing-book';

/**
 * Writes what a finished stream leaves behind in one group-committed transaction: the billing
 * record (finalised once), the connection row, metrics and buffer snapshot. Retried with backoff:
 * the bill must not be lost; if it still fails, the record stays open and the next start
 * reconciles it.
 */
export async function persistStreamEnd(input: {
  store: TwinStore;
  logger: Logger;
  stream: { id: string; tenantId: string; apiKeyId: string; purpose: string | undefined; createdAt: Date; endedAt: number | undefined; status: string; lastSeq: number };
  snapshot: StreamSessionSnapshot;
  endReason: BillingEndReason;
  provider: string;
  model: string;
  durationMs: number;
  /** Bytes the bill was computed on. */
  billedBytes: number;
  bill: ReturnType<PricingBook['bill']>;
  metadata: Record<string, string> | undefined;
}): Promise<void> {
  const { store, logger, stream, snapshot, bill } = input;
  const usage = snapshot.usage;
  const metrics = snapshot.metrics;
  const ended = new Date(stream.endedAt ?? Date.now());
  const ending = {
    streamId: stream.id,
    tenantId: stream.tenantId,
    bill: {
      endReason: input.endReason,
      endedAt: ended,
      ...(usage?.inputTokens !== undefined ? { inputTokens: usage.inputTokens } : {}),
      ...(usage?.cacheReadTokens !== undefined ? { cacheReadTokens: usage.cacheReadTokens } : {}),
      ...(usage?.cacheWriteTokens !== undefined ? { cacheWriteTokens: usage.cacheWriteTokens } : {}),
      ...(usage?.outputTokens !== undefined ? { outputTokens: usage.outputTokens } : {}),
      ...(usage?.reasoningTokens !== undefined ? { reasoningTokens: usage.reasoningTokens } : {}),
      usageEstimated: bill?.usageEstimated ?? usage?.estimated === true,
      usageMissing: bill?.usageMissing ?? (usage?.inputTokens === undefined || usage?.outputTokens === undefined),
      durationMs: input.durationMs,
      bytes: input.billedBytes,
      currency: bill?.currency ?? 'USD',
      ...(bill?.pricingConfigId ? { pricingConfigId: bill.pricingConfigId } : {}),
      ...(bill ? { lines: bill.lines } : {}),
      provider: input.provider,
      model: input.model,
    },
    connection: {
      id: stream.id,
      tenantId: stream.tenantId,
      apiKeyId: stream.apiKeyId,
      provider: input.provider,
      model: input.model,
      purpose: stream.purpose ?? null,
      status: stream.status,
      endReason: input.endReason,
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
        logger.error({ err: error, streamId: stream.id }, 'could not finalise the billing record; the next start reconciles it');
        break;
      }
      await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
    }
  }
  store.events.push({ streamId: stream.id, tenantId: stream.tenantId, type: 'stream.end', data: { endReason: input.endReason, status: stream.status }, createdAt: ended });
}
