import { costReceiptFromBill, publicUsage, type CostReceipt, type StreamBillingRecord, type TokenCounter } from '@twin/core';
import type { Logger } from 'pino';
import type { TwinStore } from '../storage/twin-store';
import { finalBillingRecord, meteredUsage } from './final-billing-record';
import type { PricingBook } from './pricing-book';

/** What {@link reconcileOpenRecords} did. */
export interface ReconcileResult {
  reconciled: number;
  streamIds: string[];
}

/**
 * Finalizes the billing records a previous process left open (killed mid-stream): each becomes
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
  /**
   * Another instance's records (a survivor reconciling a dead instance, see `LeaseKeeper`), only
   * those started before `startedBefore`; default this instance's own.
   */
  of?: { instanceId: string; startedBefore?: Date };
  /** Each record this call finalized, with the receipt its stream's clients are told (the cluster's terminal event). */
  onReconciled?: (record: StreamBillingRecord, receipt: CostReceipt | undefined) => unknown;
}): Promise<ReconcileResult> {
  const { store, pricing, countTokens, logger } = input;
  const open = await store.listOpenBillingRecords(undefined, input.of);
  const streamIds: string[] = [];
  for (const record of open) {
    if (input.liveStreamIds?.has(record.streamId)) continue;
    const content = await store.readStreamContent(record.streamId);
    const start = await store.readStartEstimate(record.streamId);
    const startedAt = new Date(record.startedAt);
    const endedAt = content.lastAt ?? startedAt;
    const usage = {
      ...(start?.inputTokens !== undefined ? { inputTokens: start.inputTokens } : {}),
      outputTokens: content.text === '' ? 0 : countTokens(content.text),
      estimated: true,
    };
    const metered = meteredUsage(usage, endedAt.getTime() - startedAt.getTime(), content.bytes, 1);
    await pricing.warm(record.tenantId, startedAt);
    const bill = pricing.bill({ tenantId: record.tenantId, provider: record.provider, model: record.model, startedAt, ...metered, usage });
    const final = finalBillingRecord(record, { endReason: 'interrupted', endedAt, metered, bill, provider: record.provider, model: record.model });
    const done = await store.finalizeBillingRecord(final);
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
    if (input.onReconciled) {
      const receipt = bill ? { ...costReceiptFromBill(bill, record.id), usage: publicUsage(usage) } : undefined;
      try {
        await input.onReconciled(done, receipt);
      } catch (error) {
        logger.warn({ err: error, streamId: record.streamId }, 'could not announce a reconciled stream; its record is final');
      }
    }
  }
  if (streamIds.length > 0) {
    logger.warn(
      { count: streamIds.length, ...(input.of ? { instanceId: input.of.instanceId } : {}) },
      input.of ? 'reconciled billing records of a dead instance (finalized as interrupted, usage estimated)' : 'reconciled billing records left open by a previous run (finalized as interrupted, usage estimated)',
    );
  }
  await store.events.flush();
  return { reconciled: streamIds.length, streamIds };
}
