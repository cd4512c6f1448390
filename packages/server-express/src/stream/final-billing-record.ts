import { finalizeBillingRecord, type Bill, type BillingEndReason, type MeteredUsage, type StreamBillingRecord, type Usage } from '@twin/core';

/** A final billing record: its end reason and end time are always set. */
export type FinalBillingRecord = StreamBillingRecord & { state: 'final'; endReason: BillingEndReason; endedAt: string };

/** What is known about a stream when it ends: enough to finalize its billing record. */
export interface StreamEndFacts {
  endReason: BillingEndReason;
  endedAt: Date;
  /** What was measured (see {@link meteredUsage}). */
  metered: MeteredUsage;
  /** The bill of `metered`; `undefined` when no price applies or pricing failed (the record is final, without lines). */
  bill: Bill | undefined;
  /** The provider and model that actually served the stream. */
  provider: string;
  model: string;
}

/** What a stream used, as the bill and the record count it: whole milliseconds, at least one connection. */
export function meteredUsage(usage: Usage | undefined, durationMs: number, bytes: number, connections: number): MeteredUsage & { connections: number } {
  return { ...(usage ? { usage } : {}), durationMs: Math.max(0, Math.round(durationMs)), bytes, connections: Math.max(1, connections) };
}

/**
 * THE final billing record of a stream, however it ended (a normal end, a shutdown, or a reconcile
 * after a crash): core's `finalizeBillingRecord` of its open record (from `openBillingRecord`, with
 * core's idempotency key). Without a bill the record is final all the same, with what was measured
 * and no lines: every started stream gets exactly one final record.
 */
export function finalBillingRecord(open: StreamBillingRecord, end: StreamEndFacts): FinalBillingRecord {
  if (open.state === 'final') return open as FinalBillingRecord;
  const { endReason, endedAt, metered, bill, provider, model } = end;
  // Core's contract: finalizing an open record sets state, endReason and endedAt.
  if (bill) return finalizeBillingRecord(open, { endReason, endedAt, metered, bill, provider, model }) as FinalBillingRecord;
  const u = metered.usage;
  return {
    ...open,
    provider,
    model,
    state: 'final',
    endReason,
    endedAt: endedAt.toISOString(),
    usageEstimated: u?.estimated === true,
    usageMissing: u?.inputTokens === undefined || u?.outputTokens === undefined,
    inputTokens: u?.inputTokens,
    cacheReadTokens: u?.cacheReadTokens,
    cacheWriteTokens: u?.cacheWriteTokens,
    outputTokens: u?.outputTokens,
    reasoningTokens: u?.reasoningTokens,
    durationMs: metered.durationMs,
    bytes: metered.bytes,
    connections: metered.connections ?? 1,
  };
}
