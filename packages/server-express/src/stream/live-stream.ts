import {
  createStreamSession,
  isContentPart,
  openBillingRecord,
  toTwinError,
  type ConnectionWriter,
  type CostReceipt,
  type StreamBillingRecord,
  type StreamEvent,
  type StreamMetrics,
  type StreamPart,
  type StreamSession,
  type StreamStatus,
} from '@twin/core';
import type { SSEResponse } from '../http/sse-response';
import type { LiveStreamDeps, LiveStreamInit } from './live-stream-deps';
import { AuditSegmentWriter } from '../storage/audit-segment';
import { OpeningGate } from './opening-gate';
import { runningBudgetFor, type RunningBudget } from './running-budget';
import { CLIENT_GONE_STOP, SLOW_CLIENT_STOP, STORAGE_STOP, type StopReason } from './stop-reason';
import { endStream, type RunEnding } from './stream-end';
import { queueStartRows, recordLifecycle } from './stream-records';
import type { Tickable } from './tick-scheduler';
import { TWIN_SSE_FORMAT, type WireFormat } from './wire-format';

export type { LiveStreamDeps, LiveStreamInit } from './live-stream-deps';

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
  /** Served by the offline simulated provider: the start event and the receipt say so. */
  readonly simulated: boolean;
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
  private readonly auditSegment: AuditSegmentWriter;
  /** The stream's billing record as opened (core's model and idempotency key); finalized at the end. */
  private readonly openRecord: StreamBillingRecord;
  private gate: OpeningGate | undefined;
  private resolveFinished!: () => void;
  /** The budgets this stream is judged against as it runs, when any could stop it or alert. */
  private readonly budget: RunningBudget | undefined;
  /** Cluster mode: the connection on another instance that reads this stream (from the log). */
  private remoteConn: string | undefined;
  /** Events kept out of the cluster log until the opening is durable (as content is kept off the wire). */
  private logHeld: StreamEvent[] | undefined;

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
    this.simulated = init.provider.simulated === true;
    this.session = createStreamSession({
      streamId: init.id,
      provider: init.provider.name,
      model: init.model,
      config: deps.config,
      now: Date.now,
      createdAt: this.createdAt,
      ...(init.provider.simulated ? { simulated: true } : {}),
    });
    this.openRecord = openBillingRecord({
      id: init.billingRecordId,
      streamId: init.id,
      tenantId: init.tenantId,
      apiKeyId: init.apiKeyId,
      ...(init.userId ? { userId: init.userId } : {}),
      provider: init.provider.name,
      model: init.model,
      ...(init.purpose ? { purpose: init.purpose } : {}),
      currency: 'USD',
      startedAt: this.createdAt,
    });
    this.budget = runningBudgetFor(init, deps, this.createdAt);
    this.auditSegment = new AuditSegmentWriter({ streamId: init.id, tenantId: init.tenantId }, init.sealing !== undefined, (row) => deps.store.chunks.push(row));
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
  }

  get isRunning(): boolean {
    return this.endedAt === undefined;
  }

  get hasConnection(): boolean {
    return this.attached !== undefined || this.remoteConn !== undefined;
  }

  get lastSeq(): number {
    return this.session.lastSeq;
  }

  /** When the first content part arrived (kept here: a session snapshot copies the whole text). */
  firstTokenAt: number | undefined;

  /** Opens the billing record, emits `start` and runs the provider in the background. */
  begin(): void {
    this.deps.store.openings.push(this.openRecord);
    // Crash safety: content waits for the opening's commit (start does not), see OpeningGate.
    if (this.deps.holdContentUntilRecorded !== false && this.deps.log) this.logHeld = [];
    if (this.deps.holdContentUntilRecorded !== false) this.gate = new OpeningGate(
      this.deps.store.openings.durable(),
      this.deps.openingTimeoutMs ?? 10_000,
      (held) => this.onOpeningDurable(held),
      () => this.stop(STORAGE_STOP),
    );
    this.deliver(this.session.start());
    // After the start event is on the wire: nothing here delays the first byte.
    queueStartRows(this, this.deps, this.init);
    void this.run();
  }

  /**
   * Attaches an SSE connection (a new stream, or a resume). A previous connection is closed: one
   * reader per stream. With `lastEventId`, first writes exactly the events after it (or a resync).
   * `format` writes this connection's events (Twin's SSE unless a compatible door chose another).
   */
  attach(response: SSEResponse, lastEventId?: number, format: WireFormat = TWIN_SSE_FORMAT): void {
    if (this.detachTimer) clearTimeout(this.detachTimer);
    this.detachTimer = undefined;
    const previous = this.attached;
    if (this.gate?.holding && previous) {
      // Held content was meant for the replaced connection; the replay below covers it.
      this.gate.discard();
    }
    const sealing = this.init.sealing?.();
    const writer = format.createWriter({
      streamId: this.id,
      ...(sealing ? { sealer: sealing.sealer, codec: sealing.codec, alg: sealing.alg, kid: sealing.kid } : {}),
    });
    this.attached = { response, writer };
    this.backpressure = false;
    if (previous && previous.response !== response) previous.response.end();
    if (this.remoteConn !== undefined) {
      // One reader per stream: the relay on another instance closes.
      this.remoteConn = undefined;
      this.deps.log?.announce(this.id, `local:${this.id}`);
    }
    if (lastEventId !== undefined) {
      this.budget?.resumed();
      this.deps.metrics.resumes.inc();
      recordLifecycle(this, this.deps, 'stream.resume', { lastEventId });
      // A sealed connection announces its codec and key in a start event (the client's opener needs
      // them); the stream's own start (seq 0) is replayed only when asked from the beginning.
      this.writeEvents(this.session.replayFrom(lastEventId), false);
    }
    if (!this.isRunning) this.closeConnection();
  }

  /**
   * The connection went away. The stream keeps running for `graceMs`, waiting for a resume
   * (`twin_detaches_total`; the hub writes the `stream.detach` audit event); nobody back by then stops it and bills it
   * `client_abort` (`stream.detach_expired`, `twin_detach_expired_total`). 0 aborts at once.
   */
  detach(response: SSEResponse, graceMs: number): void {
    if (this.attached?.response !== response) return;
    this.attached = undefined;
    this.gate?.discard();
    if (!this.isRunning || this.remoteConn !== undefined) return;
    this.startDetachGrace(graceMs);
  }

  private startDetachGrace(graceMs: number): void {
    if (graceMs <= 0) {
      this.stop(CLIENT_GONE_STOP);
      return;
    }
    this.deps.metrics.detaches.inc();
    if (this.detachTimer) clearTimeout(this.detachTimer);
    this.detachTimer = setTimeout(() => {
      if (this.attached || this.remoteConn !== undefined || !this.isRunning) return;
      this.deps.metrics.detachExpired.inc();
      recordLifecycle(this, this.deps, 'stream.detach_expired', { graceMs });
      this.stop(CLIENT_GONE_STOP);
    }, graceMs);
    this.detachTimer.unref();
  }

  /**
   * Cluster mode: a client resumed this stream through another instance (`conn`), which reads it
   * from the log. The local connection (if any) closes — one reader per stream — and the stream
   * keeps running for it as for a local one.
   */
  attachRemote(conn: string): void {
    if (!this.isRunning) return;
    if (this.detachTimer) clearTimeout(this.detachTimer);
    this.detachTimer = undefined;
    const local = this.attached;
    if (local) {
      this.gate?.discard();
      this.attached = undefined;
      local.response.end();
    }
    this.remoteConn = conn;
    this.deps.metrics.resumes.inc();
    recordLifecycle(this, this.deps, 'stream.resume', { via: 'cluster' });
    // Any other relay closes.
    this.deps.log?.announce(this.id, conn);
  }

  /** The remote connection `conn` went away: the detach grace starts, as for a local one. */
  detachRemote(conn: string, graceMs: number): void {
    if (this.remoteConn !== conn) return;
    this.remoteConn = undefined;
    if (!this.isRunning || this.attached) return;
    this.startDetachGrace(graceMs);
  }

  /** Bytes and events handed to this stream's socket (the SSE response reports them): metered and billed. */
  recordWritten(bytes: number, events: number): void {
    this.session.recordWrite(bytes, events);
    this.budget?.written(bytes);
    this.deps.metrics.countWrite(events, bytes);
  }

  /** Bytes queued on the connection that will still be written before it closes (billed with the rest). */
  get pendingBytes(): number {
    const response = this.attached?.response;
    return response && !response.overflowed ? response.queuedUtf8Bytes : 0;
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
        if (this.budget && !this.stopReason) {
          const outcome = this.session.getOutcome();
          const stop = this.budget.judge(part, now, outcome.usage, outcome);
          if (stop) this.stop(stop);
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
    // The stream's time ends with its provider (duration billed, the record's endedAt), not with
    // the waits below.
    const providerClosedAt = Date.now();
    await warm;
    // The bill counts bytes written: held content goes out first (or is given up with the opening).
    await this.gate?.settled;
    await this.finish({ errorSent: closed, stopReason: this.stopReason }, providerClosedAt);
  }

  /** The end of the stream (see {@link endStream}); resolves `finished` once its record is written. */
  private async finish(ending: RunEnding, now: number): Promise<void> {
    this.endedAt = now;
    this.flushAt = Infinity;
    if (this.detachTimer) clearTimeout(this.detachTimer);
    const context = {
      stream: this,
      openRecord: this.openRecord,
      session: this.session,
      deps: this.deps,
      metadata: this.init.metadata,
      deliver: (events: StreamEvent[]) => this.deliver(events),
      closeWire: () => {
        this.flushAudit(true);
        this.closeConnection();
      },
    };
    await endStream(context, ending, now).finally(() => {
      // An opening that never became durable keeps its content out of the log for good.
      this.logHeld = undefined;
      this.deps.log?.end(this.id, this.tenantId);
      this.resolveFinished();
    });
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
    if (fresh) this.toLog(events);
    const gate = this.gate;
    if (gate?.holding) {
      const wasHolding = gate.holdingContent;
      const now = gate.pass(events);
      if (!wasHolding && gate.holdingContent && !this.backpressure) this.deliver(this.session.setBackpressure(true, Date.now()));
      this.toConnection(now);
      return;
    }
    this.toConnection(events);
  }

  /** Cluster mode: new events to the shared log (held there too until the opening is durable). */
  private toLog(events: StreamEvent[]): void {
    const log = this.deps.log;
    if (!log) return;
    if (this.logHeld) this.logHeld.push(...events);
    else log.append(this.id, events, this.init.encrypted === true);
  }

  /** The opening committed: what was held goes out, then the session's normal flush rules resume. */
  private onOpeningDurable(held: StreamEvent[]): void {
    // An open gate passes everything: the stream lets it go (its promise, timer and closures are
    // a few hundred bytes per stream for the rest of the stream's life).
    this.gate = undefined;
    const logHeld = this.logHeld;
    this.logHeld = undefined;
    if (logHeld && logHeld.length > 0) this.deps.log?.append(this.id, logHeld, this.init.encrypted === true);
    this.toConnection(held);
    if (!this.backpressure && this.isRunning) this.deliver(this.session.setBackpressure(false, Date.now()));
  }

  private toConnection(events: StreamEvent[]): void {
    const attached = this.attached;
    if (!attached || events.length === 0) return;
    const beforeEvents = attached.writer.eventsWritten;
    const before = attached.writer.bytesWritten;
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
    if (!attached.response.write(frames, bytes, attached.writer.eventsWritten - beforeEvents) && !this.backpressure) {
      this.backpressure = true;
      this.deps.metrics.backpressure.inc();
      this.deliver(this.session.setBackpressure(true, Date.now()));
    }
  }

  /** The audit copy of new events, collected into a segment (see {@link AuditSegmentWriter}). */
  private audit(events: StreamEvent[]): void {
    this.auditSegment.add(events);
    this.flushAudit(false);
  }

  /** Writes the pending audit segment when due (`force`: now). The hub's sweeper calls it for quiet streams. */
  flushAudit(force: boolean): void {
    // An ended stream's segment is due at once.
    this.auditSegment.flush(force || !this.isRunning);
  }

  /** The socket drained: the session goes back to its normal flush rules. */
  onDrain(): void {
    if (!this.backpressure) return;
    this.backpressure = false;
    // Content held for the opening keeps the session coalescing until it is released.
    if (this.isRunning && !this.gate?.holdingContent) this.deliver(this.session.setBackpressure(false, Date.now()));
  }

  /**
   * The connection's queue passed its bound: the declared slow-client policy. The session already
   * coalesced while backpressured; now the stream ends with a `slow_client` error (the client may
   * resume from its Last-Event-ID while the events are in the replay window).
   */
  onOverflow(): void {
    this.deps.metrics.slowClientCloses.inc();
    this.stop(SLOW_CLIENT_STOP);
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
    const gate = this.gate;
    const attached = this.attached;
    this.attached = undefined;
    if (!attached) return;
    // After an overflow the queued frames were dropped (and with no durable opening the held content
    // is never sent): the terminal event goes out alone, last, in the connection's own format.
    if (gate?.timedOut) gate.discard();
    const dropped = attached.response.overflowed || gate?.timedOut === true;
    const terminal = this.terminal;
    attached.response.end(dropped && terminal ? attached.writer.write([terminal]) : undefined);
  }
}

function endsStream(events: readonly StreamEvent[]): boolean {
  const last = events[events.length - 1];
  return last !== undefined && (last.type === 'error' || last.type === 'complete');
}
