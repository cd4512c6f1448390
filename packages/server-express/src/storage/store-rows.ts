import type { BillLines, BillingEndReason, StreamBillingRecord } from '@twin/core';
import type { apiKeys, streamAlerts, streamBillingRecords, streamBudgets, streamChunks, streamConnections, streamEvents, streamMetrics } from './schema';

export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type ConnectionRow = typeof streamConnections.$inferInsert;
export type ChunkRow = typeof streamChunks.$inferInsert;
export type EventRow = typeof streamEvents.$inferInsert;
export type MetricsRow = typeof streamMetrics.$inferInsert;
export type AlertRow = typeof streamAlerts.$inferInsert;
export type BudgetRow = typeof streamBudgets.$inferSelect;

/** What {@link TwinStore.endStream} writes. */
export interface StreamEnding {
  /** The stream's final billing record (core's `finalizeBillingRecord`, see `finalBillingRecord`). */
  record: StreamBillingRecord;
  connection: ConnectionRow;
  metrics: MetricsRow;
  buffer: Record<string, unknown>;
}

/** Filters of {@link TwinStore.listBillingRecords}. */
export interface BillingRecordQuery {
  from?: Date;
  to?: Date;
  provider?: string;
  model?: string;
  state?: 'open' | 'final';
  limit?: number;
  /** Records started strictly before this time (keyset pagination, newest first). */
  before?: Date;
}

/** A stored billing record row as core's record (NULL columns become absent fields). */
export function toRecord(row: typeof streamBillingRecords.$inferSelect): StreamBillingRecord {
  const record: StreamBillingRecord = {
    id: row.id,
    streamId: row.streamId,
    idempotencyKey: row.idempotencyKey,
    tenantId: row.tenantId,
    provider: row.provider,
    model: row.model,
    state: row.state === 'final' ? 'final' : 'open',
    startedAt: row.startedAt.toISOString(),
    usageEstimated: row.usageEstimated,
    usageMissing: row.usageMissing,
    durationMs: row.durationMs,
    bytes: row.bytes,
    currency: row.currency,
  };
  if (row.apiKeyId) record.apiKeyId = row.apiKeyId;
  if (row.userId) record.userId = row.userId;
  if (row.purpose) record.purpose = row.purpose;
  if (row.endReason) record.endReason = row.endReason as BillingEndReason;
  if (row.endedAt) record.endedAt = row.endedAt.toISOString();
  if (row.inputTokens !== null) record.inputTokens = row.inputTokens;
  if (row.cacheReadTokens !== null) record.cacheReadTokens = row.cacheReadTokens;
  if (row.cacheWriteTokens !== null) record.cacheWriteTokens = row.cacheWriteTokens;
  if (row.outputTokens !== null) record.outputTokens = row.outputTokens;
  if (row.reasoningTokens !== null) record.reasoningTokens = row.reasoningTokens;
  if (row.exchangeRate) record.exchangeRate = row.exchangeRate;
  if (row.pricingConfigId) record.pricingConfigId = row.pricingConfigId;
  if (row.unpriced) record.unpriced = true;
  if (row.lines) record.lines = row.lines as unknown as BillLines;
  return record;
}
