import type { CostReceipt, StreamBillingRecord, StreamEvent, StreamMetrics, StreamSession, StreamStatus } from '@twin/core';
import type { SSEResponse } from '../http/sse-response';
import type { LiveStreamDeps, LiveStreamInit } from './live-stream-deps';
import { AuditSegmentWriter } from '../storage/audit-segment';
import { OpeningGate } from './opening-gate';
import { runningBudgetFor, type RunningBudget } from './running-budget';
import { SLOW_CLIENT_STOP, STORAGE_STOP, type StopReason } from './stop-reason';
import { StreamConnection } from './stream-connection';
import { pumpProvider, type PumpEnd } from './pump-provider';
import { StreamLogCopy } from './stream-log-copy';
import { streamOpening } from './stream-opening';
import { endStream, type RunEnding } from './stream-end';
import { queueStartRows, recordLifecycle } from './stream-records';
import type { Tickable } from './tick-scheduler';
import { TWIN_SSE_FORMAT, type WireFormat } from './wire-format';

export type { LiveStreamDeps, LiveStreamInit } from './live-stream-deps';

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

  private readonly session: StreamSession;
  private readonly abortController = new AbortController();
  private readonly deps: LiveStreamDeps;
  private readonly init: LiveStreamInit;
  /** Who reads the stream (one local connection, or a remote one in cluster mode), and the writes to it. */
  private readonly connection: StreamConnection;
  private stopReason: StopReason | undefined;
  private flushAt = Infinity;
  private terminal: StreamEvent | undefined;
  private readonly auditSegment: AuditSegmentWriter;
  /** The stream's billing record as opened (core's model and idempotency key); finalized at the end. */
  private readonly openRecord: StreamBillingRecord;
  private gate: OpeningGate | undefined;
  // `finished`, made when first asked for (a shutdown, a DELETE): most streams end unwatched, and a
  // promise with its resolver held for the life of every stream cost some 200 bytes apiece.
  private finishedPromise: Promise<void> | undefined;
  private resolveFinished: (() => void) | undefined;
  private isFinal = false;
  /** The budgets this stream is judged against as it runs, when any could stop it or alert. */
  private readonly budget: RunningBudget | undefined;
  /** Cluster mode: the events' copy in the shared log (none without a log: nothing to look at per event). */
  private readonly logCopy: StreamLogCopy | undefined;

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
    const { session, openRecord } = streamOpening(init, deps, this.createdAt);
    this.session = session;
    this.openRecord = openRecord;
    this.budget = runningBudgetFor(init, deps, this.createdAt);
    this.logCopy = deps.log ? new StreamLogCopy(init.id, deps.log, init.encrypted === true) : undefined;
    this.auditSegment = new AuditSegmentWriter({ streamId: init.id, tenantId: init.tenantId }, init.sealing !== undefined, (row) => deps.store.chunks.push(row));
    // The connection reads the gate and reports backpressure through the two members below,
    // not a hooks object of two closures per stream.
    this.connection = new StreamConnection(this, deps);
  }

  /** The opening gate while it exists (its held content belongs to the current connection). */
  get openingGate(): OpeningGate | undefined {
    return this.gate;
  }

  /** Resolves once the billing record is final. */
  get finished(): Promise<void> {
    return (this.finishedPromise ??= this.isFinal ? Promise.resolve() : new Promise((resolve) => (this.resolveFinished = resolve)));
  }

  /** The socket refused a write: the session coalesces until it drains ({@link onDrain}). */
  onBackpressure(): void {
    const now = Date.now();
    this.deliver(this.session.setBackpressure(true, now), now);
  }

  get isRunning(): boolean {
    return this.endedAt === undefined;
  }

  get hasConnection(): boolean {
    return this.connection.hasReader;
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
    if (this.deps.holdContentUntilRecorded !== false) this.logCopy?.hold();
    if (this.deps.holdContentUntilRecorded !== false) this.gate = new OpeningGate(
      this.deps.store.openings.durable(),
      this.deps.openingTimeoutMs ?? 10_000,
      (held) => this.onOpeningDurable(held),
      () => this.stop(STORAGE_STOP),
    );
    this.deliver(this.session.start());
    // After the start event is on the wire: nothing here delays the first byte.
    queueStartRows(this, this.deps, this.init);
    this.run();
  }

  /**
   * Attaches an SSE connection (a new stream, or a resume). A previous connection is closed: one
   * reader per stream. With `lastEventId`, first writes exactly the events after it (or a resync).
   * `format` writes this connection's events (Twin's SSE unless a compatible door chose another).
   */
  attach(response: SSEResponse, lastEventId?: number, format: WireFormat = TWIN_SSE_FORMAT): void {
    this.connection.attach(response, () => {
      const sealing = this.init.sealing?.();
      return format.createWriter({
        streamId: this.id,
        ...(sealing ? { sealer: sealing.sealer, codec: sealing.codec, alg: sealing.alg, kid: sealing.kid } : {}),
      });
    });
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
    this.connection.detach(response, graceMs);
  }

  /**
   * Cluster mode: a client resumed this stream through another instance (`conn`), which reads it
   * from the log. The local connection (if any) closes — one reader per stream — and the stream
   * keeps running for it as for a local one.
   */
  attachRemote(conn: string): void {
    this.connection.attachRemote(conn);
  }

  /** The remote connection `conn` went away: the detach grace starts, as for a local one. */
  detachRemote(conn: string, graceMs: number): void {
    this.connection.detachRemote(conn, graceMs);
  }

  /** Bytes and events handed to this stream's socket (the SSE response reports them): metered and billed. */
  recordWritten(bytes: number, events: number): void {
    this.session.noteWrite(bytes, events);
    this.budget?.written(bytes);
    this.deps.metrics.countWrite(events, bytes);
  }

  /** Bytes queued on the connection that will still be written before it closes (billed with the rest). */
  get pendingBytes(): number {
    return this.connection.pendingBytes;
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

  /** Runs the provider, then ends the stream (no async frame of its own held while it runs). */
  private run(): void {
    const warm = this.deps.pricing.warm(this.tenantId, this.createdAt).catch((error: unknown) => {
      this.deps.logger.warn({ err: error, streamId: this.id }, 'could not load period tokens; volume tiers start from 0');
    });
    void pumpProvider({
      stream: this,
      init: this.init,
      session: this.session,
      budget: this.budget,
      abortController: this.abortController,
      stopReason: () => this.stopReason,
      // The pump set lastActivityAt to its part's arrival just before: the delivery's clock
      // reading (a terminal event's reads its own, see writeEvents).
      deliver: (events) => this.deliver(events, this.lastActivityAt),
    }).then((end) => this.afterProvider(end, warm));
  }

  private async afterProvider({ closed, providerClosedAt }: PumpEnd, warm: Promise<void>): Promise<void> {
    await warm;
    // The bill counts bytes written: held content goes out first (or is given up with the opening).
    await this.gate?.settled;
    await this.finish({ errorSent: closed, stopReason: this.stopReason }, providerClosedAt);
  }

  /** The end of the stream (see {@link endStream}); resolves `finished` once its record is written. */
  private async finish(ending: RunEnding, now: number): Promise<void> {
    this.endedAt = now;
    this.flushAt = Infinity;
    this.connection.stopDetachGrace();
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
      this.logCopy?.end(this.tenantId);
      this.isFinal = true;
      this.resolveFinished?.();
    });
  }

  /**
   * New events from the session: audit copy, then the wire. Schedules the next age-based flush.
   * `now`: the caller's clock reading, when it has one (the audit copy then reads none).
   */
  private deliver(events: StreamEvent[], now?: number): void {
    if (events.length > 0) this.writeEvents(events, true, now);
    this.scheduleFlush();
  }

  private writeEvents(events: StreamEvent[], fresh: boolean, now?: number): void {
    if (events.length === 0) return;
    const last = events[events.length - 1]!;
    if (last.type === 'error' || last.type === 'complete') {
      this.terminal = last;
      // An ending may come from the pump's end, past its last part: the clock, not the part's time.
      now = undefined;
    }
    if (fresh && this.deps.persistChunks) this.audit(events, now);
    if (fresh) this.logCopy?.append(events);
    const gate = this.gate;
    if (gate?.holding) {
      const wasHolding = gate.holdingContent;
      const passed = gate.pass(events);
      if (!wasHolding && gate.holdingContent && !this.connection.backpressure) {
        const at = Date.now();
        this.deliver(this.session.setBackpressure(true, at), at);
      }
      this.connection.write(passed);
      return;
    }
    this.connection.write(events);
  }

  /** The opening committed: what was held goes out, then the session's normal flush rules resume. */
  private onOpeningDurable(held: StreamEvent[]): void {
    // An open gate passes everything: the stream lets it go (its promise, timer and closures are
    // a few hundred bytes per stream for the rest of the stream's life).
    this.gate = undefined;
    this.logCopy?.release();
    this.connection.write(held);
    if (!this.connection.backpressure && this.isRunning) {
      const now = Date.now();
      this.deliver(this.session.setBackpressure(false, now), now);
    }
  }

  /** The audit copy of new events, collected into a segment (see {@link AuditSegmentWriter}); `now` as in {@link deliver}. */
  private audit(events: StreamEvent[], now: number | undefined): void {
    this.auditSegment.add(events, now);
    // An ended stream's segment is due at once.
    this.auditSegment.flush(!this.isRunning, now);
  }

  /** Writes the pending audit segment when due (`force`: now). The hub's sweeper calls it for quiet streams. */
  flushAudit(force: boolean): void {
    // An ended stream's segment is due at once.
    this.auditSegment.flush(force || !this.isRunning);
  }

  /** The socket drained: the session goes back to its normal flush rules. */
  onDrain(): void {
    if (!this.connection.drained()) return;
    // Content held for the opening keeps the session coalescing until it is released.
    if (this.isRunning && !this.gate?.holdingContent) {
      const now = Date.now();
      this.deliver(this.session.setBackpressure(false, now), now);
    }
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
    this.deliver(this.session.tick(now), now);
  }

  private closeConnection(): void {
    this.connection.close(this.terminal);
  }
}
