import {
  TwinError,
  createConnectionWriter,
  costReceiptFromBill,
  createStreamSession,
  encodeSSE,
  estimateInputTokens,
  isContentPart,
  toTwinError,
  type BillingEndReason,
  type ConnectionWriter,
  type CostReceipt,
  type PayloadSealer,
  type Provider,
  type ProviderRequest,
  type StreamConfig,
  type StreamEvent,
  type StreamMetrics,
  type StreamPart,
  type StreamSession,
  type StreamStatus,
  type TokenCounter,
  type TwinErrorPayload,
} from '@twin/core';
import type { Logger } from 'pino';
import type { SSEResponse } from '../http/sse-response';
import type { ServerMetrics } from '../observability/server-metrics';
import type { StreamStatsWindow } from '../observability/stream-stats';
import type { TwinStore } from '../storage/twin-store';
import type { PricingBook } from './pricing-book';
import { persistStreamEnd } from './persist-stream-end';
import type { TickScheduler, Tickable } from './tick-scheduler';

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
  /** Wakes the stream for its age-based flushes (one timer shared by every stream). */
  scheduler: TickScheduler;
  /** Keep an audit copy of every event in stream_chunks (default true). */
  persistChunks: boolean;
  /** The stream ended (its connection slot and running count are released). */
  onFinished(stream: LiveStream): void;
}

/**
 * Payload sealing for one connection: a fresh sealer per connection (compression contexts and the
 * cipher chain live per connection), plus what the `start` event announces.
 */
export interface ConnectionSealing {
  sealer: PayloadSealer;
  codec?: 'identity' | 'gzip' | 'deflate';
  alg?: 'aes-256-gcm' | 'xchacha20-poly1305';
  kid?: string;
}

/** Makes the sealing of each new connection of a stream (the first one and every resume). */
export type SealingFactory = () => ConnectionSealing;

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
  /** Payload codec / cipher for every connection of this stream. */
  sealing?: SealingFactory;
}

interface Attached {
  response: SSEResponse;
  writer: ConnectionWriter;
}

/**
 * One running stream: pulls normalised parts from the provider into the core stream session (which
 * decides what to write and when, and meters it), writes the result through a per-connection core
 * writer to the (at most one) attached SSE connection with backpressure, queues audit rows behind,
 * and bills exactly once when it ends, however it ends.
 */
export class LiveStream implements Tickable {
  readonly id: string;
  readonly tenantId: string;
  readonly apiKeyId: string;
  readonly providerName: string;
  readonly model: string;
  readonly purpose: string | undefined;
  readonly billingRecordId: string;
  readonly createdAt = new Date();
  readonly startedAt = this.createdAt.getTime();
  status: StreamStatus = 'streaming';
  endedAt: number | undefined;
  lastActivityAt = this.startedAt;
  receipt: CostReceipt | undefined;
  /** Resolves once the billing record is final. */
  readonly finished: Promise<void>;

  private readonly session: StreamSession;
  private readonly abortController = new AbortController();
  private readonly deps: LiveStreamDeps;
  private readonly init: LiveStreamInit;
  private attached: Attached | undefined;
  private backpressure = false;
  private stopReason: StopReason | undefined;
  private flushAt = Infinity;
  private detachTimer: ReturnType<typeof setTimeout> | undefined;
  private terminal: StreamEvent | undefined;
  private auditLines: string[] = [];
  private auditFirstSeq = 0;
  private auditLastSeq = 0;
  private auditFirstType = 'chunk';
  private auditBytes = 0;
  private auditSince = 0;
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
    this.billingRecordId = init.billingRecordId;
    this.session = createStreamSession({
      streamId: init.id,
      provider: init.provider.name,
      model: init.model,
      config: deps.config,
      now: Date.now,
      createdAt: this.createdAt,
    });
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
  }

  get isRunning(): boolean {
    return this.endedAt === undefined;
  }

  get hasConnection(): boolean {
    return this.attached !== undefined;
  }

  get lastSeq(): number {
    return this.session.lastSeq;
  }

  /** When the first content part arrived (kept here: a session snapshot copies the whole text). */
  firstTokenAt: number | undefined;

  /** Opens the billing record, emits `start` and runs the provider in the background. */
  begin(): void {
    const { store } = this.deps;
    store.openings.push({
      id: this.billingRecordId,
      streamId: this.id,
      tenantId: this.tenantId,
      apiKeyId: this.apiKeyId,
      provider: this.providerName,
      model: this.model,
      ...(this.purpose ? { purpose: this.purpose } : {}),
      currency: 'USD',
      startedAt: this.createdAt,
    });
    this.deliver(this.session.start());
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
  attach(response: SSEResponse, lastEventId?: number): void {
    if (this.detachTimer) clearTimeout(this.detachTimer);
    this.detachTimer = undefined;
    const previous = this.attached;
    const sealing = this.init.sealing?.();
    const writer = createConnectionWriter({
      streamId: this.id,
      ...(sealing ? { sealer: sealing.sealer, codec: sealing.codec, alg: sealing.alg, kid: sealing.kid } : {}),
      onWrite: this.session.recordWrite,
    });
    this.attached = { response, writer };
    this.backpressure = false;
    if (previous && previous.response !== response) previous.response.end();
    if (lastEventId !== undefined) {
      this.deps.metrics.resumes.inc();
      this.deps.store.events.push({ streamId: this.id, tenantId: this.tenantId, type: 'stream.resume', data: { lastEventId }, createdAt: new Date() });
      // A sealed connection announces its codec and key in a start event (the client's opener needs
      // them); the stream's own start (seq 0) is replayed only when asked from the beginning.
      this.writeEvents(this.session.replayFrom(lastEventId), false);
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

  /** Live measurements, from the core session. */
  getMetrics(): StreamMetrics {
    return this.session.getSnapshot().metrics;
  }

  getBufferState() {
    return this.session.getSnapshot().buffer;
  }

  // ── internals ──────────────────────────────────────────────────────────────

  private async run(): Promise<void> {
    const warm = this.deps.pricing.warm(this.tenantId, this.createdAt).catch((error: unknown) => {
      this.deps.logger.warn({ err: error, streamId: this.id }, 'could not load period tokens; volume tiers start from 0');
    });
    let closed = false;
    try {
      const parts = this.init.provider.stream(this.init.request, { signal: this.abortController.signal });
      for await (const raw of parts) {
        let part: StreamPart = raw;
        const now = Date.now();
        this.lastActivityAt = now;
        if (part.type === 'error' && this.stopReason) part = { ...part, error: this.stopReason.error };
        else if (this.firstTokenAt === undefined && isContentPart(part)) this.firstTokenAt = now;
        const events = this.session.push(part, now);
        this.deliver(events);
        // The session may end the stream on its own (an error part, or its buffer_overflow policy).
        if (part.type === 'error' || endsStream(events)) {
          closed = true;
          break;
        }
      }
    } catch (error) {
      // The provider contract says stream() never throws; a bug there must still end and bill the stream.
      this.deliver(this.session.finish({ error: toTwinError(error, 'provider_error') }));
      closed = true;
    }
    if (!closed && this.stopReason) {
      // The provider ended without reporting the abort: end with our reason all the same.
      this.deliver(this.session.finish({ error: this.stopReason.error }));
      closed = true;
    }
    // Whatever ended the loop, the provider's request must not outlive the stream.
    if (!this.abortController.signal.aborted) this.abortController.abort();
    await warm;
    await this.finish(closed);
  }

  private async finish(failed: boolean): Promise<void> {
    const now = Date.now();
    this.endedAt = now;
    this.flushAt = Infinity;
    if (this.detachTimer) clearTimeout(this.detachTimer);
    const outcome = this.session.getOutcome();
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
    const before = this.session.getSnapshot().metrics;
    let bill;
    try {
      bill = this.deps.pricing.bill({
        tenantId: this.tenantId,
        provider,
        model,
        startedAt: this.createdAt,
        usage: outcome.usage,
        durationMs: now - this.startedAt,
        bytes: before.bytesSent,
        connections: 1 + before.reconnects,
      });
    } catch (error) {
      this.deps.logger.error({ err: error, streamId: this.id }, 'billing calculation failed; record finalised without lines');
    }
    if (bill) {
      this.receipt = costReceiptFromBill(bill, this.billingRecordId);
    }
    if (!failed) this.deliver(this.session.finish(this.receipt ? { cost: this.receipt } : {}, now));
    this.flushAudit(true);
    this.closeConnection();
    const metrics = this.session.getSnapshot().metrics;
    const durationMs = now - this.startedAt;
    this.deps.metrics.streamsFinished.inc({ provider, reason: endReason });
    this.deps.metrics.duration.observe(durationMs / 1000);
    if (metrics.ttftMs !== undefined) this.deps.metrics.ttft.observe(metrics.ttftMs / 1000);
    this.deps.stats.record({
      tenantId: this.tenantId,
      at: now,
      ttftMs: metrics.ttftMs,
      durationMs,
      bytes: metrics.bytesSent,
      events: metrics.eventsSent,
      endReason,
    });
    this.deps.onFinished(this);
    await persistStreamEnd({
      store: this.deps.store,
      logger: this.deps.logger,
      stream: this,
      snapshot: this.session.getSnapshot(),
      endReason,
      provider,
      model,
      durationMs,
      // The record carries what was billed: bytes up to the terminal event (the receipt rides in it).
      billedBytes: before.bytesSent,
      bill,
      metadata: this.init.metadata,
    }).finally(() => this.resolveFinished());
  }

  /** New events from the session: audit copy, then the wire. Schedules the next age-based flush. */
  private deliver(events: StreamEvent[]): void {
    if (events.length > 0) this.writeEvents(events, true);
    this.scheduleFlush();
  }

  private writeEvents(events: StreamEvent[], fresh: boolean): void {
    if (events.length === 0) return;
    const last = events[events.length - 1]!;
    if (last.type === 'error' || last.type === 'complete') this.terminal = last;
    if (fresh && this.deps.persistChunks) this.audit(events);
    const attached = this.attached;
    if (!attached) return;
    const before = attached.writer.bytesWritten;
    const beforeEvents = attached.writer.eventsWritten;
    let frames: string;
    try {
      frames = attached.writer.write(events);
    } catch (error) {
      // A sealer failure breaks this connection's chain: close it, the client resumes on a new one.
      this.deps.logger.error({ err: error, streamId: this.id }, 'sealing failed; closing the connection');
      this.attached = undefined;
      attached.response.end();
      return;
    }
    if (frames === '') return;
    const bytes = attached.writer.bytesWritten - before;
    this.deps.metrics.countWrite(attached.writer.eventsWritten - beforeEvents, bytes);
    if (!attached.response.write(frames, bytes) && !this.backpressure) {
      this.backpressure = true;
      this.deps.metrics.backpressure.inc();
      this.deliver(this.session.setBackpressure(true, Date.now()));
    }
  }

  /**
   * Collects the audit copy of new events into a segment, written as ONE stream_chunks row when it
   * is a second old, 64 KiB large, or the stream ended: a stream at 10 events/s costs one row per
   * second instead of ten (an embedded database commits on the event loop).
   */
  private audit(events: StreamEvent[]): void {
    // A sealed stream's content stays out of the database: only its shape is audited.
    const sealed = this.init.sealing !== undefined;
    for (const event of events) {
      if (event.type === 'heartbeat') continue;
      const data = sealed && (event.type === 'chunk' || event.type === 'resync') ? `{"v":${event.data.v},"seq":${event.data.seq},"sealed":true}` : JSON.stringify(event.data);
      if (this.auditLines.length === 0) {
        this.auditFirstSeq = event.data.seq;
        this.auditSince = Date.now();
        this.auditFirstType = event.type;
      }
      this.auditLines.push(`{"event":"${event.type}","data":${data}}`);
      this.auditLastSeq = event.data.seq;
      this.auditBytes += data.length;
    }
    this.flushAudit(false);
  }

  /** Writes the pending audit segment when due (`force`: now). The hub's sweeper calls it for quiet streams. */
  flushAudit(force: boolean): void {
    if (this.auditLines.length === 0) return;
    if (!force && this.isRunning && Date.now() - this.auditSince < AUDIT_SEGMENT_MS && this.auditBytes < AUDIT_SEGMENT_BYTES) return;
    const data = `[${this.auditLines.join(',')}]`;
    this.deps.store.chunks.push({
      streamId: this.id,
      seq: this.auditFirstSeq,
      lastSeq: this.auditLastSeq,
      tenantId: this.tenantId,
      event: this.auditLines.length === 1 ? this.auditFirstType : 'segment',
      data,
      bytes: Buffer.byteLength(data),
      createdAt: new Date(),
    });
    this.auditLines = [];
    this.auditBytes = 0;
  }

  /** The socket drained: the session goes back to its normal flush rules. */
  onDrain(): void {
    if (!this.backpressure) return;
    this.backpressure = false;
    if (this.isRunning) this.deliver(this.session.setBackpressure(false, Date.now()));
  }

  /**
   * The connection's queue passed its bound: the declared slow-client policy. The session already
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
    const at = this.session.nextFlushAt();
    if (at === undefined || at >= this.flushAt) return;
    this.flushAt = at;
    this.deps.scheduler.schedule(this, at);
  }

  /** The shared scheduler's wake-up: flushes what has aged, unless this entry is stale. */
  onTick(now: number): void {
    if (this.flushAt > now || !this.isRunning) return;
    this.flushAt = Infinity;
    this.deliver(this.session.tick(now));
  }

  private closeConnection(): void {
    const attached = this.attached;
    this.attached = undefined;
    if (!attached) return;
    // After an overflow the queued frames were dropped, the terminal event with them: send it last.
    // Terminal events are never sealed, so the plain encoding is what any writer would produce.
    const terminal = this.terminal;
    attached.response.end(
      attached.response.overflowed && terminal && terminal.type !== 'heartbeat'
        ? encodeSSE({ id: terminal.data.seq, event: terminal.type, data: JSON.stringify(terminal.data) })
        : undefined,
    );
  }
}

const AUDIT_SEGMENT_MS = 1_000;
const AUDIT_SEGMENT_BYTES = 65_536;

function endsStream(events: readonly StreamEvent[]): boolean {
  const last = events[events.length - 1];
  return last !== undefined && (last.type === 'error' || last.type === 'complete');
}

/** The error a stream ends with when the server shuts down under it. */
export const SHUTDOWN_STOP: StopReason = {
  endReason: 'interrupted',
  status: 'interrupted',
  error: new TwinError('capacity_exceeded', 'The server is shutting down; retry shortly.').toPayload(),
};
