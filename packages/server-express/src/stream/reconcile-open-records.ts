import type { TokenCounter } from '@twin/core';
import type { Logger } from 'pino';
import type { TwinStore } from '../storage/twin-store';
import type { PricingBook } from './pricing-book';

/** What {@link reconcileOpenRecords} did. */
export interface ReconcileResult {
  reconciled: number;
  streamIds: string[];
}

/**
 * Finalises the billing records a previous process left open (killed mid-stream): each becomes
 * `interrupted` with usage estimated from the audit copy of what was sent (output) and the input
 * estimate stored at start. Run before accepting traffic; `liveStreamIds` are skipped (a record of
 * a stream this process is serving is not stale).
 */
export async function reconcileOpenRecords(input: {
  store: TwinStore;
  pricing: PricingBook;
  countTokens: TokenCounter;
  logger: Logger;
  liveStreamIds?: ReadonlySet<string>;
}): Promise<ReconcileResult> {
  const { store, pricing, countTokens, logger } = input;
  const open = await store.listOpenBillingRecords();
  const streamIds: string[] = [];
  for (const record of open) {
    if (input.liveStreamIds?.has(record.streamId)) continue;
    const content = await store.readStreamContent(record.streamId);
    const start = await store.readStartEstimate(record.streamId);
    const startedAt = new Date(record.startedAt);
    const endedAt = content.lastAt ?? startedAt;
    const durationMs = Math.max(0, endedAt.getTime() - startedAt.getTime());
    const usage = {
      ...(start?.inputTokens !== undefined ? { inputTokens: start.inputTokens } : {}),
      outputTokens: content.text === '' ? 0 : countTokens(content.text),
      estimated: true,
    };
    await pricing.warm(record.tenantId, startedAt);
    const bill = pricing.bill({
      tenantId: record.tenantId,
      provider: record.provider,
      model: record.model,
      startedAt,
      usage,
      durationMs,
      bytes: content.bytes,
      connections: 1,
    });
    const done = await store.finaliseBillingRecord(record.streamId, {
      endReason: 'interrupted',
      endedAt,
      ...usage,
      usageEstimated: true,
      usageMissing: usage.inputTokens === undefined,
      durationMs,
      bytes: content.bytes,
      currency: bill?.currency ?? record.currency,
      ...(bill?.pricingConfigId ? { pricingConfigId: bill.pricingConfigId } : {}),
      ...(bill ? { lines: bill.lines } : {}),
    });
    if (!done) continue;
    await store.markConnectionInterrupted(record.streamId, endedAt);
    store.events.push({
      streamId: record.streamId,
      tenantId: record.tenantId,
      type: 'billing.reconciled',
      data: { endReason: 'interrupted', outputTokens: usage.outputTokens, bytes: content.bytes },
      createdAt: new Date(),
    });
    streamIds.push(record.streamId);
  }
  if (streamIds.length > 0) logger.warn({ count: streamIds.length }, 'reconciled billing records left open by a previous run (finalised as interrupted, usage estimated)');
  await store.events.flush();
  return { reconciled: streamIds.length, streamIds };
}
