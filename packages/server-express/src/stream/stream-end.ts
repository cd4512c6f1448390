import {
  costReceiptFromBill,
  publicUsage,
  type BillingEndReason,
  type StreamBillingRecord,
  type StreamEvent,
  type StreamSession,
  type StreamStatus,
} from '@twin/core';
import type { LiveStream, LiveStreamDeps } from './live-stream';
import { finalBillingRecord, meteredUsage } from './final-billing-record';
import { persistStreamEnd } from './persist-stream-end';
import type { StopReason } from './stop-reason';

/** How the provider loop ended: what the end of a stream needs to know about it. */
export interface RunEnding {
  /**
   * The terminal `error` event already went out: the provider failed, we stopped the stream, or
   * the session ended it on its own (buffer overflow). Otherwise the provider finished and the
   * `complete` event, which carries the cost receipt, is still to be sent.
   */
  errorSent: boolean;
  /** Our reason, when we stopped the stream (client gone, slow client, shutdown). */
  stopReason: StopReason | undefined;
}

/** The stream's parts the end of it works with. */
export interface StreamEndContext {
  /** The stream that ends; its `status` and `receipt` are set here. */
  stream: LiveStream;
  /** Its open billing record (core's `openBillingRecord`), finalized here. */
  openRecord: StreamBillingRecord;
  session: StreamSession;
  deps: LiveStreamDeps;
  metadata: Record<string, string> | undefined;
  /** Sends events (the `complete` event) the way every other event goes: audit copy, then wire. */
  deliver(events: StreamEvent[]): void;
  /** Writes the last audit segment and closes the connection. */
  closeWire(): void;
}

/**
 * The billing end reason and the client-visible status of a stream that ended as `ending` says;
 * `errorCode` is the code of the error the stream ended with, if any.
 */
export function classifyEnd(ending: RunEnding, errorCode: string | undefined): { endReason: BillingEndReason; status: StreamStatus } {
  if (ending.stopReason) return { endReason: ending.stopReason.endReason, status: ending.stopReason.status };
  if (ending.errorSent) return { endReason: errorCode === 'stream_timeout' ? 'timeout' : 'error', status: 'error' };
  return { endReason: 'complete', status: 'completed' };
}

/**
 * The end of a stream, in order: its end reason and status; its bill and receipt; the `complete`
 * event (when no error went out); the last audit segment and the connection; server metrics and
 * stats; the slot released; the final record persisted. Resolves once the record is written (or
 * given up on, to be reconciled).
 */
export async function endStream(context: StreamEndContext, ending: RunEnding, now: number): Promise<void> {
  const { stream, session, deps } = context;
  const outcome = session.getOutcome();
  const { endReason, status } = classifyEnd(ending, outcome.error?.code);
  stream.status = status;
  const provider = outcome.provider ?? stream.providerName;
  const model = outcome.model ?? stream.model;
  const before = session.getSnapshot().metrics;
  // The record carries what was billed: bytes handed to the socket up to the terminal event (the
  // receipt rides in it), and those queued that will be before it closes; never frames the
  // slow-client policy dropped.
  const metered = meteredUsage(outcome.usage, now - stream.startedAt, before.bytesSent + stream.pendingBytes, 1 + before.reconnects);
  let bill;
  try {
    bill = deps.pricing.bill({ tenantId: stream.tenantId, provider, model, startedAt: stream.createdAt, ...metered, usage: outcome.usage });
  } catch (error) {
    deps.logger.error({ err: error, streamId: stream.id }, 'billing calculation failed; record finalized without lines');
  }
  if (bill) {
    // The receipt carries the counts it billed (a stopped stream has no `complete` to carry them)
    // and says when no real model was called.
    stream.receipt = {
      ...costReceiptFromBill(bill, stream.billingRecordId),
      ...(outcome.usage ? { usage: publicUsage(outcome.usage) } : {}),
      ...(stream.simulated ? { simulated: true } : {}),
    };
  }
  if (!ending.errorSent) context.deliver(session.finish(stream.receipt ? { cost: stream.receipt } : {}, now));
  context.closeWire();
  const metrics = session.getSnapshot().metrics;
  const durationMs = now - stream.startedAt;
  deps.metrics.countFinished(provider, endReason);
  deps.metrics.duration.observe(durationMs / 1000);
  if (metrics.ttftMs !== undefined) deps.metrics.ttft.observe(metrics.ttftMs / 1000);
  deps.stats.record({
    tenantId: stream.tenantId,
    at: now,
    ttftMs: metrics.ttftMs,
    durationMs,
    bytes: metrics.bytesSent,
    events: metrics.eventsSent,
    endReason,
  });
  deps.onFinished(stream);
  const record = finalBillingRecord(context.openRecord, { endReason, endedAt: new Date(now), metered, bill, provider, model });
  await persistStreamEnd({ store: deps.store, logger: deps.logger, stream, snapshot: session.getSnapshot(), record, metadata: context.metadata });
}
