import {
  TwinError,
  createStreamBuffer,
  encodeSSE,
  isContentPart,
  publicUsage,
  toTwinError,
  type BillingEndReason,
  type CostReceipt,
  type Provider,
  type ProviderRequest,
  type StreamConfig,
  type StreamEvent,
  type StreamMetrics,
  type StreamPart,
  type StreamStatus,
  type TokenCounter,
  type TwinErrorPayload,
  estimateInputTokens,
} from '@twin/core';
import type { Logger } from 'pino';
import type { SSEResponse } from '../http/sse-response';
import type { ServerMetrics } from '../observability/server-metrics';
import type { StreamStatsWindow } from '../observability/stream-stats';
import type { TwinStore } from '../storage/twin-store';
import type { PricingBook } from './pricing-book';

/** Why a stream was stopped from our side. */
export interface StopReason {
  endReason: BillingEndReason;
  status: StreamStatus;
  /** The error event the client gets (replaces the provider's generic `aborted`). */
  error: TwinErrorPayload;
}

/** What a live stream needs from the server around it. */
export interface LiveStreamDeps {
  store: TwinStore;
  pricing: PricingBook;
  metrics: ServerMetrics;
  stats: StreamStatsWindow;
  logger: Logger;
  config: StreamConfig;
  /** Counts prompt tokens at start, stored so a crash can still be billed with an estimate. */
  countTokens?: TokenCounter;
  /** Keep an audit copy of every event in stream_chunks (default true). */
  persistChunks: boolean;
  /** A connection per stream and API key is released. */
  onFinished(stream: LiveStream): void;
}

/** Identity and request of a stream. */
export interface LiveStreamInit {
  id: string;
  billingRecordId: string;
  tenantId: string;
  apiKeyId: string;
  provider: Provider;
  model: string;
  purpose?: string;
  metadata?: Record<string, string>;
  request: ProviderRequest;
}

/** Transforms an outgoing event for one connection (payload codec / cipher). */
export type EventSealer = (event: StreamEvent) => StreamEvent;

interface Attached {
  response: SSEResponse;
  seal: EventSealer | undefined;
}

const byteLength = (text: string) => Buffer.byteLength(text, 'utf8');

/**
 * One running stream: pulls normalised parts from the provider, lets the core stream buffer decide
 * what to write and when, writes it to the (at most one) attached SSE connection with backpressure,
 * queues audit rows behind, and bills exactly once when it ends, however it ends.
 */
export class LiveStream {
  readonly id: string;
  readonly tenantId: string;
  readonly apiKeyId: string;
  readonly providerName: string;
  readonly model: string;
  readonly purpose: string | undefined;
  readonly createdAt = new Date();
  readonly startedAt = Date.now();
  status: StreamStatus = 'streaming';
  firstTokenAt: number | undefined;
  endedAt: number | undefined;
  lastActivityAt = Date.now();
  eventsSent = 0;
  bytesSent = 0;
  contentParts = 0;
  textChars = 0;
  reconnects = 0;
  backpressureEvents = 0;
  errors = 0;
  receipt: CostReceipt | undefined;
  /** Resolves once the billing record is final. */
  readonly finished: Promise<void>;

  private readonly buffer;
  private readonly abortController = new AbortController();
  private readonly deps: LiveStreamDeps;
  private readonly init: LiveStreamInit;
  private attached: Attached | undefined;
  private stopReason: StopReason | undefined;
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private flushAt = Infinity;
  private detachTimer: ReturnType<typeof setTimeout> | undefined;
  private resolveFinished!: () => void;

  constructor(init: LiveStreamInit, deps: LiveStreamDeps) {
    this.init = init;
    this.deps = deps;
    this.id = init.id;
    this.tenantId = init.tenantId;
    this.apiKeyId = init.apiKeyId;
    this.providerName = init.provider.name;
    this.model = init.model;
    this.purpose = init.purpose;
    this.buffer = createStreamBuffer(deps.config);
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
  }

  get isRunning(): boolean {
    return this.endedAt === undefined;
  }

  get hasConnection(): boolean {
    return this.attached !== undefined;
  }

  get lastSeq(): number {
    return this.buffer.lastSeq;
  }

  /** Emits `start` and runs the provider in the background. */
  begin(startFields: { codec?: 'identity' | 'gzip' | 'deflate'; alg?: 'aes-256-gcm' | 'xchacha20-poly1305'; kid?: string } = {}): void {
    const { store } = this.deps;
    store.openings.push({
      id: this.init.billingRecordId,
      streamId: this.id,
      tenantId: this.tenantId,
      apiKeyId: this.apiKeyId,
      provider: this.providerName,
      model: this.model,
      ...(this.purpose ? { purpose: this.purpose } : {}),
      currency: 'USD',
      startedAt: this.createdAt,
    });
    this.deliver(
      this.buffer.start({
        streamId: this.id,
        provider: this.providerName,
        model: this.model,
        createdAt: this.createdAt.toISOString(),
        ...startFields,
      }),
    );
    // After the start event is on the wire: nothing here delays the first byte.
    store.connectionsOpened.push({
      id: this.id,
      tenantId: this.tenantId,
      apiKeyId: this.apiKeyId,
      provider: this.providerName,
      model: this.model,
      purpose: this.purpose ?? null,
      status: 'streaming',
      createdAt: this.createdAt,
      lastSeq: 0,
      metadata: this.init.metadata ?? null,
    });
    const inputTokens = this.deps.countTokens ? estimateInputTokens(this.init.request, this.deps.countTokens) : undefined;
    store.events.push({
      streamId: this.id,
      tenantId: this.tenantId,
      type: 'stream.start',
      data: { provider: this.providerName, model: this.model, ...(inputTokens !== undefined ? { inputTokens } : {}) },
      createdAt: this.createdAt,
    });
    void this.run();
  }

  /**
   * Attaches an SSE connection (a new stream, or a resume). A previous connection is closed: one
   * reader per stream. With `lastEventId`, first writes exactly the events after it (or a resync).
   */
  attach(response: SSEResponse, seal: EventSealer | undefined, lastEventId?: number): void {
    if (this.detachTimer) clearTimeout(this.detachTimer);
    this.detachTimer = undefined;
    const previous = this.attached;
    this.attached = { response, seal };
    if (previous && previous.response !== response) previous.response.end();
    if (lastEventId !== undefined) {
      this.reconnects++;
      this.deps.metrics.resumes.inc();
      this.deps.store.events.push({ streamId: this.id, tenantId: this.tenantId, type: 'stream.resume', data: { lastEventId }, createdAt: new Date() });
      this.writeEvents(this.buffer.replayFrom(lastEventId), false);
    }
    if (!this.isRunning) this.closeConnection();
  }

  /** The connection went away. Without a grace period the provider is aborted at once. */
  detach(response: SSEResponse, graceMs: number): void {
    if (this.attached?.response !== response) return;
    this.attached = undefined;
    if (!this.isRunning) return;
    const stop: StopReason = {
      endReason: 'client_abort',
      status: 'aborted',
      error: { code: 'aborted', message: 'The client disconnected.', retryable: false },
    };
    if (graceMs <= 0) this.stop(stop);
    else {
      this.detachTimer = setTimeout(() => this.stop(stop), graceMs);
      this.detachTimer.unref();
    }
  }

  /** Stops the provider; the stream ends with `reason.error` and is billed for what was used. */
  stop(reason: StopReason): void {
    if (!this.isRunning || this.stopReason) return;
    this.stopReason = reason;
    this.abortController.abort();
  }

  /** Live measurements (the stored copy is written when the stream ends). */
  getMetrics(now = Date.now()): StreamMetrics {
    const end = this.endedAt ?? now;
    const durationMs = end - this.startedAt;
    const usage = this.buffer.getOutcome().usage;
    const metrics: StreamMetrics = {
      streamId: this.id,
      startedAt: this.startedAt,
      durationMs,
      bytesSent: this.bytesSent,
      eventsSent: this.eventsSent,
      contentParts: this.contentParts,
      textChars: this.textChars,
      reconnects: this.reconnects,
      backpressureEvents: this.backpressureEvents,
      errors: this.errors,
    };
    if (this.firstTokenAt !== undefined) {
      metrics.firstTokenAt = this.firstTokenAt;
      metrics.ttftMs = this.firstTokenAt - this.startedAt;
    }
    if (this.endedAt !== undefined) metrics.endedAt = this.endedAt;
    if (usage?.outputTokens !== undefined) {
      metrics.outputTokens = usage.outputTokens;
      if (durationMs > 0) metrics.tokensPerSecond = (usage.outputTokens * 1000) / durationMs;
    }
    return metrics;
  }

  getBufferState() {
    return this.buffer.getSnapshot();
  }

  // ── internals ──────────────────────────────────────────────────────────────

  private async run(): Promise<void> {
    const warm = this.deps.pricing.warm(this.tenantId, this.createdAt).catch((error: unknown) => {
      this.deps.logger.warn({ err: error, streamId: this.id }, 'could not load period tokens; volume tiers start from 0');
    });
    try {
      const parts = this.init.provider.stream(this.init.request, { signal: this.abortController.signal });
      for await (const raw of parts) {
        let part: StreamPart = raw;
        const now = Date.now();
        this.lastActivityAt = now;
        if (isContentPart(part)) {
          this.contentParts++;
          if (this.firstTokenAt === undefined) this.firstTokenAt = now;
          if (part.type === 'text-delta' || part.type === 'reasoning-delta') this.textChars += part.text.length;
        } else if (part.type === 'error') {
          this.errors++;
          if (this.stopReason) part = { ...part, error: this.stopReason.error };
        }
        this.deliver(this.buffer.push(part, now));
        if (this.buffer.isClosed) break;
      }
    } catch (error) {
      // The provider contract says stream() never throws; a bug there must still end and bill the stream.
      this.errors++;
      this.deliver(this.buffer.fail(toTwinError(error, 'provider_error').toPayload()));
    }
    await warm;
    await this.finish();
  }

  private async finish(): Promise<void> {
    const now = Date.now();
    this.endedAt = now;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    if (this.detachTimer) clearTimeout(this.detachTimer);
    const outcome = this.buffer.getOutcome();
    const failed = this.buffer.isClosed;
    let endReason: BillingEndReason = 'complete';
    if (this.stopReason) {
      endReason = this.stopReason.endReason;
      this.status = this.stopReason.status;
    } else if (failed) {
      endReason = outcome.error?.code === 'stream_timeout' ? 'timeout' : 'error';
      this.status = 'error';
    } else {
      this.status = 'completed';
    }
    const provider = outcome.provider ?? this.providerName;
    const model = outcome.model ?? this.model;
    const durationMs = now - this.startedAt;
    let bill;
    try {
      bill = this.deps.pricing.bill({
        tenantId: this.tenantId,
        provider,
        model,
        startedAt: this.createdAt,
        usage: outcome.usage,
        durationMs,
        bytes: this.bytesSent,
        connections: 1 + this.reconnects,
      });
    } catch (error) {
      this.deps.logger.error({ err: error, streamId: this.id }, 'billing calculation failed; record finalised without lines');
    }
    if (bill) {
      this.receipt = {
        currency: bill.currency,
        total: bill.lines.total,
        lines: {
          tokens: bill.lines.tokenCost,
          discount: bill.lines.discount,
          streaming: bill.lines.streaming,
          bandwidthPremium: bill.lines.bandwidthPremium,
          infrastructure: bill.lines.infrastructure,
          subtotal: bill.lines.subtotal,
          slaPenalty: bill.lines.slaPenalty,
          ...Object.fromEntries(bill.lines.taxes.map((t) => [`tax:${t.jurisdiction}:${t.name}`, t.amount])),
        },
        estimated: bill.usageEstimated,
        recordId: this.init.billingRecordId,
      };
    }
    if (!failed) {
      const usage = outcome.usage ? publicUsage(outcome.usage) : undefined;
      this.deliver(
        this.buffer.complete({
          finishReason: outcome.finishReason ?? 'other',
          ...(outcome.rawFinishReason !== undefined ? { rawFinishReason: outcome.rawFinishReason } : {}),
          provider,
          model,
          ...(usage ? { usage } : {}),
          ...(this.receipt ? { cost: this.receipt } : {}),
          metrics: {
            ...(this.firstTokenAt !== undefined ? { ttftMs: this.firstTokenAt - this.startedAt } : {}),
            durationMs,
            bytes: this.bytesSent,
            events: this.eventsSent + 1,
          },
        }),
      );
    }
    this.closeConnection();
    this.deps.metrics.streamsFinished.inc({ provider, reason: endReason });
    this.deps.metrics.duration.observe(durationMs / 1000);
    if (this.firstTokenAt !== undefined) this.deps.metrics.ttft.observe((this.firstTokenAt - this.startedAt) / 1000);
    this.deps.stats.record({
      tenantId: this.tenantId,
      at: now,
      ttftMs: this.firstTokenAt !== undefined ? this.firstTokenAt - this.startedAt : undefined,
      durationMs,
      bytes: this.bytesSent,
      events: this.eventsSent,
      endReason,
    });
    this.deps.onFinished(this);
    await this.persistEnd(endReason, provider, model, durationMs, bill).finally(() => this.resolveFinished());
  }

  private async persistEnd(
    endReason: BillingEndReason,
    provider: string,
    model: string,
    durationMs: number,
    bill: ReturnType<PricingBook['bill']>,
  ): Promise<void> {
    const { store, logger } = this.deps;
    const usage = this.buffer.getOutcome().usage;
    const ended = new Date(this.endedAt ?? Date.now());
    // Retry the one write that must not be lost; the others are best effort (logged).
    for (let attempt = 0; ; attempt++) {
      try {
        await store.finaliseBillingRecord(this.id, {
          endReason,
          endedAt: ended,
          ...(usage?.inputTokens !== undefined ? { inputTokens: usage.inputTokens } : {}),
          ...(usage?.cacheReadTokens !== undefined ? { cacheReadTokens: usage.cacheReadTokens } : {}),
          ...(usage?.cacheWriteTokens !== undefined ? { cacheWriteTokens: usage.cacheWriteTokens } : {}),
          ...(usage?.outputTokens !== undefined ? { outputTokens: usage.outputTokens } : {}),
          ...(usage?.reasoningTokens !== undefined ? { reasoningTokens: usage.reasoningTokens } : {}),
          usageEstimated: bill?.usageEstimated ?? usage?.estimated === true,
          usageMissing: bill?.usageMissing ?? (usage?.inputTokens === undefined || usage?.outputTokens === undefined),
          durationMs,
          bytes: this.bytesSent,
          currency: bill?.currency ?? 'USD',
          ...(bill?.pricingConfigId ? { pricingConfigId: bill.pricingConfigId } : {}),
          ...(bill ? { lines: bill.lines } : {}),
          provider,
          model,
        });
        break;
      } catch (error) {
        if (attempt >= 5) {
          logger.error({ err: error, streamId: this.id }, 'could not finalise the billing record; the next start reconciles it');
          break;
        }
        await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
      }
    }
    const metrics = this.getMetrics();
    store.events.push({ streamId: this.id, tenantId: this.tenantId, type: 'stream.end', data: { endReason, status: this.status }, createdAt: ended });
    await Promise.all([
      store.upsertConnection({
        id: this.id,
        tenantId: this.tenantId,
        apiKeyId: this.apiKeyId,
        provider,
        model,
        purpose: this.purpose ?? null,
        status: this.status,
        endReason,
        errorCode: this.buffer.getOutcome().error?.code ?? null,
        createdAt: this.createdAt,
        firstByteAt: this.firstTokenAt !== undefined ? new Date(this.firstTokenAt) : null,
        endedAt: ended,
        lastSeq: Math.max(0, this.buffer.lastSeq),
        metadata: this.init.metadata ?? null,
      }),
      store.upsertMetrics({
        streamId: this.id,
        tenantId: this.tenantId,
        ttftMs: metrics.ttftMs ?? null,
        durationMs: Math.round(metrics.durationMs),
        bytesSent: metrics.bytesSent,
        eventsSent: metrics.eventsSent,
        metrics: metrics as unknown as Record<string, unknown>,
        updatedAt: ended,
      }),
      store.upsertBufferState(this.id, this.tenantId, this.buffer.getSnapshot() as unknown as Record<string, unknown>),
    ]).catch((error: unknown) => logger.warn({ err: error, streamId: this.id }, 'could not store the stream summary'));
  }

  /** New events from the buffer: audit copy, then the wire. Schedules the next age-based flush. */
  private deliver(events: StreamEvent[]): void {
    if (events.length > 0) this.writeEvents(events, true);
    this.scheduleFlush();
  }

  private writeEvents(events: StreamEvent[], fresh: boolean): void {
    const attached = this.attached;
    let frames = '';
    for (const event of events) {
      if (event.type === 'heartbeat') continue;
      if (fresh && this.deps.persistChunks) {
        const data = JSON.stringify(event.data);
        this.deps.store.chunks.push({
          streamId: this.id,
          seq: event.data.seq,
          tenantId: this.tenantId,
          event: event.type,
          data,
          bytes: byteLength(data),
          createdAt: new Date(),
        });
      }
      if (!attached) continue;
      const out = attached.seal ? attached.seal(event) : event;
      if (out.type === 'heartbeat') continue;
      frames += encodeSSE({ id: out.data.seq, event: out.type, data: JSON.stringify(out.data) });
      this.eventsSent++;
    }
    if (!attached || frames === '') return;
    const bytes = byteLength(frames);
    this.bytesSent += bytes;
    this.deps.metrics.eventsSent.inc(events.length);
    this.deps.metrics.bytesSent.inc(bytes);
    if (!attached.response.write(frames) && !this.buffer.getSnapshot().backpressure) {
      this.backpressureEvents++;
      this.deps.metrics.backpressure.inc();
      this.deliver(this.buffer.setBackpressure(true, Date.now()));
    }
  }

  /** The socket drained: the buffer goes back to its normal flush rules. */
  onDrain(): void {
    if (this.isRunning) this.deliver(this.buffer.setBackpressure(false, Date.now()));
  }

  /**
   * The connection's queue passed its bound: the declared slow-client policy. The buffer already
   * coalesced while backpressured; now the stream ends with a `slow_client` error (the client may
   * resume from its Last-Event-ID while the events are in the replay window).
   */
  onOverflow(): void {
    this.deps.metrics.slowClientCloses.inc();
    this.stop({
      endReason: 'error',
      status: 'error',
      error: { code: 'slow_client', message: 'The client read too slowly; the stream was closed.', retryable: false },
    });
  }

  private scheduleFlush(): void {
    const at = this.buffer.nextFlushAt();
    if (at === undefined) return;
    if (this.flushTimer && at >= this.flushAt) return;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushAt = at;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.flushAt = Infinity;
      this.deliver(this.buffer.tick(Date.now()));
    }, Math.max(0, at - Date.now()));
  }

  private closeConnection(): void {
    const attached = this.attached;
    this.attached = undefined;
    attached?.response.end();
  }
}

/** The error a stream ends with when the server shuts down under it. */
export const SHUTDOWN_STOP: StopReason = {
  endReason: 'interrupted',
  status: 'interrupted',
  error: new TwinError('capacity_exceeded', 'The server is shutting down; retry shortly.').toPayload(),
};
