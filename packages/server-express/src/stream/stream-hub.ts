import type { BudgetState } from './budget-state';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { TwinError, type ConnectionWriter, type Provider, type ProviderRequest, type StreamConfig } from '@twin/core';
import type { AuthContext } from '../auth/authenticator';
import { randomId } from '../auth/api-key';
import type { TransportEncoding } from '../http/negotiate-encoding';
import { ClientGoneError, socketGone } from '../http/client-presence';
import type { SSEResponse } from '../http/sse-response';
import type { NetworkSignals } from '../observability/network-signals';
import { TickScheduler } from './tick-scheduler';
import type { SealingFactory } from './connection-sealing';
import { LiveStream, type LiveStreamDeps } from './live-stream';
import { SHUTDOWN_STOP } from './stop-reason';
import { TWIN_SSE_FORMAT, type WireFormat } from './wire-format';
import type { SealingSpec } from './live-stream-deps';
import type { LogEntry } from '../cluster/stream-event-log';
import type { ClusterStreams } from '../cluster/cluster-streams';
import type { ConnectionSlots } from '../limits/redis-connection-slots';

/** Connection and lifetime limits of the hub. */
export interface StreamHubOptions {
  config: StreamConfig;
  /** Bytes queued per connection under backpressure before the slow-client policy (default 1 MiB). */
  maxQueuedBytesPerConnection: number;
  /**
   * How long a stream whose client disconnected keeps running, waiting for a resume, before its
   * provider is aborted and it is billed `client_abort` (the service's default is 30 s; 0 aborts at once).
   */
  detachGraceMs: number;
  /**
   * Rows waiting for the database (audit chunks and events) above which new streams are refused
   * with 503 + Retry-After until storage catches up (default 20,000). Queued rows are never dropped,
   * so without this a database slower than the streams (an embedded one starved of CPU) would grow
   * memory without bound.
   */
  maxStorageBacklog?: number;
  /**
   * Event-loop lag (p99 of the last quarter second, ms) above which new streams are refused with
   * 503 + Retry-After, so the streams already running keep their latency (load shedding). Off
   * (undefined) by default.
   */
  maxEventLoopLagMs?: number;
  /** The current event-loop lag in ms (required with `maxEventLoopLagMs`). */
  eventLoopLagMs?: () => number;
  /** Where drops, resumes, write stalls and queued bytes are recorded (the admin traffic view, `/metrics`). */
  signals?: NetworkSignals;
  /** Cluster mode: the shared event log, relays and control messages (see docs/deployment.md). */
  cluster?: ClusterStreams;
  /** Cluster mode: the connection caps counted across instances (see {@link StreamHub.takeClusterSlot}). */
  slots?: ConnectionSlots;
}

/** A request to start a stream, already validated. */
export interface StartStreamInput {
  /** Stream id (default: a fresh random one). */
  id?: string;
  provider: Provider;
  model: string;
  request: ProviderRequest;
  purpose?: string;
  metadata?: Record<string, string>;
  /** The end user the stream is for (the request's `user`), stored on the billing record. */
  userId?: string;
  /** The budgets that apply, as the guard read them (the stream judges its running cost against them). */
  budgets?: readonly BudgetState[];
  encoding: TransportEncoding;
  /** Per-connection payload sealing (codec / cipher): called for the first connection and every resume. */
  sealing?: SealingFactory;
  /**
   * The wire format of this first connection (default: Twin's SSE). A resume speaks the format of
   * the door it comes through (`resume`'s own `format`).
   */
  format?: WireFormat;
  /** What the client asked for (cluster mode: another instance seals its resume the same way). */
  sealingSpec?: SealingSpec;
  /** The stream is encrypted (its cluster log entries are encrypted at rest). */
  encrypted?: boolean;
}

/** What a connection reports to: a stream this instance runs, or a relay of one another instance runs. */
export interface ConnectionTarget {
  readonly id: string;
  readonly tenantId: string;
  readonly isRunning: boolean;
  detach(response: SSEResponse, graceMs: number): void;
  onOverflow(): void;
  onDrain(): void;
  recordWritten(bytes: number, events: number): void;
}

/**
 * Every stream of this server: starts, resumes and stops them, enforces connection limits
 * (global, storage backlog or event-loop lag → 503, per API key → 429, all with Retry-After), cleans up idle and expired streams,
 * and keeps finished streams resumable for `timeouts.resumeGraceMs`.
 */
export class StreamHub {
  private readonly streams = new Map<string, LiveStream>();
  private readonly perKey = new Map<string, number>();
  private connections = 0;
  private running = 0;
  private readonly sweeper: ReturnType<typeof setInterval>;
  private shuttingDown = false;
  private draining = false;
  private readonly scheduler = new TickScheduler();

  constructor(
    private readonly deps: Omit<LiveStreamDeps, 'onFinished' | 'config' | 'scheduler'>,
    private readonly options: StreamHubOptions,
  ) {
    this.sweeper = setInterval(() => this.sweep(Date.now()), 1_000);
    this.sweeper.unref();
  }

  /** Cluster mode: resume, control and list streams of other instances. Undefined in one process. */
  get cluster(): ClusterStreams | undefined {
    return this.options.cluster;
  }

  get openConnections(): number {
    return this.connections;
  }

  get activeStreams(): number {
    return this.running;
  }

  /** SIGTERM received: no new streams here; running ones are finishing (see {@link drain}). */
  get isDraining(): boolean {
    return this.draining;
  }

  /**
   * Refuses a new connection over the limits (before any header is written). `resume`: a client
   * coming back to a stream this instance runs, still welcome while it drains.
   */
  checkCapacity(auth: AuthContext, resume = false): void {
    if (this.shuttingDown) {
      throw new TwinError('capacity_exceeded', 'The server is shutting down.', { retryAfterMs: 5_000 });
    }
    if (this.draining && !resume) {
      this.deps.metrics.rejected.inc({ reason: 'draining' });
      throw new TwinError('capacity_exceeded', 'This server instance is draining (shutting down); retry, another instance takes the stream.', { retryAfterMs: 1_000 });
    }
    const backlog = this.deps.store.chunks.pending + this.deps.store.events.pending;
    const maxBacklog = this.options.maxStorageBacklog ?? 20_000;
    if (backlog > maxBacklog) {
      this.deps.metrics.rejected.inc({ reason: 'storage_backlog' });
      throw new TwinError('capacity_exceeded', `The server's storage is behind (${backlog} rows waiting, limit ${maxBacklog}); retry shortly.`, {
        retryAfterMs: 2_000,
      });
    }
    const maxLag = this.options.maxEventLoopLagMs;
    const lag = maxLag !== undefined ? (this.options.eventLoopLagMs?.() ?? 0) : 0;
    if (maxLag !== undefined && lag > maxLag) {
      this.deps.metrics.rejected.inc({ reason: 'event_loop_lag' });
      throw new TwinError('capacity_exceeded', `The server is overloaded (its event loop is ${Math.round(lag)} ms behind, limit ${maxLag}); retry shortly.`, {
        retryAfterMs: 2_000,
      });
    }
    if (this.connections >= this.options.config.maxConnections) {
      this.deps.metrics.rejected.inc({ reason: 'global' });
      throw new TwinError('capacity_exceeded', `The server is at its limit of ${this.options.config.maxConnections} connections.`, {
        retryAfterMs: 5_000,
      });
    }
    if ((this.perKey.get(auth.apiKeyId) ?? 0) >= this.options.config.maxConnectionsPerKey) {
      this.deps.metrics.rejected.inc({ reason: 'per_key' });
      throw new TwinError('rate_limited', `This API key is at its limit of ${this.options.config.maxConnectionsPerKey} concurrent streams.`, {
        retryAfterMs: 1_000,
      });
    }
  }

  /**
   * Cluster mode: takes one of the cluster's connection slots (global and per API key caps, counted
   * across instances) for the life of `res`; it is given back when `res` closes, whatever happens
   * in between. Refused like {@link checkCapacity}: 503 at the global cap, 429 at the key's, both
   * with Retry-After. Without a cluster this does nothing (the per-process counts are the caps).
   */
  async takeClusterSlot(auth: AuthContext, res: ServerResponse): Promise<void> {
    const slots = this.options.slots;
    if (!slots) return;
    const { maxConnections, maxConnectionsPerKey } = this.options.config;
    const slot = await slots.take(auth.apiKeyId, { global: maxConnections, perKey: maxConnectionsPerKey });
    if (slot === 'global') {
      this.deps.metrics.rejected.inc({ reason: 'global' });
      throw new TwinError('capacity_exceeded', `The cluster is at its limit of ${maxConnections} connections.`, { retryAfterMs: 5_000 });
    }
    if (slot === 'per_key') {
      this.deps.metrics.rejected.inc({ reason: 'per_key' });
      throw new TwinError('rate_limited', `This API key is at its limit of ${maxConnectionsPerKey} concurrent streams.`, { retryAfterMs: 1_000 });
    }
    if (res.closed) slot.release();
    else res.once('close', () => slot.release());
  }

  /**
   * Starts a stream and streams it over `res`. Throws {@link ClientGoneError} when the request's
   * socket has already closed: the provider is never called for a client that is gone (its `close`
   * event has fired, so the connection's listener would never hear it and its slot would leak).
   */
  start(auth: AuthContext, input: StartStreamInput, req: IncomingMessage, res: ServerResponse): LiveStream {
    if (socketGone(req)) throw new ClientGoneError('start');
    this.checkCapacity(auth);
    const stream = new LiveStream(
      {
        id: input.id ?? randomId('str', 16),
        billingRecordId: randomId('bill', 16),
        tenantId: auth.tenantId,
        apiKeyId: auth.apiKeyId,
        provider: input.provider,
        model: input.model,
        request: input.request,
        ...(input.purpose ? { purpose: input.purpose } : {}),
        ...(input.metadata ? { metadata: input.metadata } : {}),
        ...(input.userId ? { userId: input.userId } : {}),
        ...(input.budgets ? { budgets: input.budgets } : {}),
        ...(input.sealing ? { sealing: input.sealing } : {}),
        ...(input.encrypted ? { encrypted: true } : {}),
      },
      {
        ...this.deps,
        config: this.options.config,
        scheduler: this.scheduler,
        onFinished: () => {
          this.running--;
          this.deps.metrics.activeStreams.set(this.running);
        },
      },
    );
    this.streams.set(stream.id, stream);
    this.deps.log?.open({
      streamId: stream.id,
      tenantId: stream.tenantId,
      encrypted: input.encrypted === true,
      ...(input.sealingSpec ? { sealing: input.sealingSpec } : {}),
      summary: { provider: stream.providerName, model: stream.model, ...(stream.purpose ? { purpose: stream.purpose } : {}), createdAt: stream.createdAt.toISOString() },
    });
    this.running++;
    this.deps.metrics.activeStreams.set(this.running);
    this.deps.metrics.streamsStarted.inc({ provider: stream.providerName });
    const format = input.format ?? TWIN_SSE_FORMAT;
    const response = this.connect(auth, stream, req, res, input.encoding, format);
    stream.attach(response, undefined, format);
    stream.begin();
    return stream;
  }

  /**
   * Re-attaches a client to a stream of its tenant, replaying exactly what it missed. `format`: the
   * wire format of the door the client resumes through (default Twin's SSE).
   */
  resume(
    auth: AuthContext,
    streamId: string,
    lastEventId: number,
    req: IncomingMessage,
    res: ServerResponse,
    encoding: TransportEncoding,
    format: WireFormat = TWIN_SSE_FORMAT,
  ): LiveStream {
    const stream = this.get(auth, streamId);
    if (!stream) throw new TwinError('not_found', `No resumable stream ${streamId}.`, { details: { field: 'streamId' } });
    if (socketGone(req)) throw new ClientGoneError('start');
    this.checkCapacity(auth, true);
    const response = this.connect(auth, stream, req, res, encoding, format);
    this.options.signals?.resume(stream.tenantId);
    stream.attach(response, lastEventId, format);
    return stream;
  }

  /**
   * Cluster mode: serves a client's resume of a stream another instance runs, through `relay` (which
   * reads the stream's log). Counts as a connection here (limits, metrics) like any other.
   */
  relay(
    auth: AuthContext,
    relay: ConnectionTarget & { begin(response: SSEResponse, writer: ConnectionWriter, first: LogEntry[]): void },
    first: LogEntry[],
    writer: (format: WireFormat) => ConnectionWriter,
    req: IncomingMessage,
    res: ServerResponse,
    encoding: TransportEncoding,
    format: WireFormat = TWIN_SSE_FORMAT,
  ): void {
    if (socketGone(req)) throw new ClientGoneError('start');
    this.checkCapacity(auth);
    const response = this.connect(auth, relay, req, res, encoding, format);
    this.options.signals?.resume(relay.tenantId);
    relay.begin(response, writer(format), first);
  }

  /** A stream this instance runs, whatever its tenant (cluster control messages; callers check the tenant). */
  byId(streamId: string): LiveStream | undefined {
    return this.streams.get(streamId);
  }

  /** A stream of the caller's tenant, running or still in its resume grace; another tenant's is invisible. */
  get(auth: AuthContext, streamId: string): LiveStream | undefined {
    const stream = this.streams.get(streamId);
    return stream && stream.tenantId === auth.tenantId ? stream : undefined;
  }

  /** Ids of the streams this process is running (a reconcile must not touch their records). */
  runningIds(): Set<string> {
    const ids = new Set<string>();
    for (const stream of this.streams.values()) if (stream.isRunning) ids.add(stream.id);
    return ids;
  }

  /** The caller's running streams. */
  listActive(auth: AuthContext): LiveStream[] {
    return this.runningOf(auth.tenantId);
  }

  /** A tenant's running streams on this instance. */
  runningOf(tenantId: string): LiveStream[] {
    const out: LiveStream[] = [];
    for (const stream of this.streams.values()) if (stream.tenantId === tenantId && stream.isRunning) out.push(stream);
    return out;
  }

  /** Running streams and attached connections per tenant (tenants with a running stream only). */
  countsByTenant(): Map<string, { streams: number; connections: number }> {
    const counts = new Map<string, { streams: number; connections: number }>();
    for (const stream of this.streams.values()) {
      if (!stream.isRunning) continue;
      const c = counts.get(stream.tenantId) ?? { streams: 0, connections: 0 };
      c.streams++;
      if (stream.hasConnection) c.connections++;
      counts.set(stream.tenantId, c);
    }
    return counts;
  }

  /** Closes a stream (DELETE): aborts the provider and waits for its bill. */
  async close(auth: AuthContext, streamId: string): Promise<LiveStream> {
    const stream = this.get(auth, streamId);
    if (!stream) throw new TwinError('not_found', `No stream ${streamId}.`, { details: { field: 'id' } });
    stream.stop({
      endReason: 'client_abort',
      status: 'aborted',
      error: { code: 'aborted', message: 'The stream was closed by its owner.', retryable: false },
    });
    await stream.finished;
    return stream;
  }

  /**
   * Drains (SIGTERM in a cluster): new streams get 503 + Retry-After from now on, and `/health`
   * says `draining` so the balancer takes this instance out; running streams go on until they end
   * or `timeoutMs` passes. Resolves with how many are still running (the caller's `shutdown` stops
   * and bills them).
   */
  async drain(timeoutMs: number): Promise<number> {
    this.draining = true;
    const running = [...this.streams.values()].filter((s) => s.isRunning);
    if (running.length > 0 && timeoutMs > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([Promise.all(running.map((s) => s.finished)), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
      clearTimeout(timer);
    }
    return this.running;
  }

  /** Stops every running stream (billing each as interrupted) and waits for their records. */
  async shutdown(timeoutMs = 10_000): Promise<void> {
    this.shuttingDown = true;
    clearInterval(this.sweeper);
    const running = [...this.streams.values()].filter((s) => s.isRunning);
    for (const stream of running) stream.stop(SHUTDOWN_STOP);
    await Promise.race([
      Promise.all([...this.streams.values()].map((s) => s.finished)),
      new Promise((r) => setTimeout(r, timeoutMs).unref()),
    ]);
  }

  private connect(
    auth: AuthContext,
    stream: ConnectionTarget,
    req: IncomingMessage,
    res: ServerResponse,
    encoding: TransportEncoding,
    format: WireFormat,
  ): SSEResponse {
    this.connections++;
    this.perKey.set(auth.apiKeyId, (this.perKey.get(auth.apiKeyId) ?? 0) + 1);
    this.deps.metrics.openConnections.set(this.connections);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.connections--;
      const n = (this.perKey.get(auth.apiKeyId) ?? 1) - 1;
      if (n <= 0) this.perKey.delete(auth.apiKeyId);
      else this.perKey.set(auth.apiKeyId, n);
      this.deps.metrics.openConnections.set(this.connections);
    };
    res.once('close', release);
    const signals = this.options.signals;
    let stalledAt: number | undefined;
    const response: SSEResponse = format.openResponse(req, res, {
      encoding,
      retryMs: this.options.config.retryMs,
      heartbeatIntervalMs: this.options.config.heartbeatIntervalMs,
      maxQueuedBytes: this.options.maxQueuedBytesPerConnection,
      headers: { 'X-Twin-Stream-Id': stream.id },
      onClientClose: () => {
        const graceMs = format.resumable === false ? 0 : this.options.detachGraceMs;
        // Our own endings (DELETE, completion) end the response first and never get here.
        if (stream.isRunning) {
          signals?.drop(stream.tenantId);
          this.deps.store.events.push({ streamId: stream.id, tenantId: stream.tenantId, type: 'stream.detach', data: { graceMs }, createdAt: new Date() });
        }
        stream.detach(response, graceMs);
      },
      onOverflow: () => stream.onOverflow(),
      onDrain: () => {
        if (stalledAt !== undefined) signals?.stall(stream.tenantId, Date.now() - stalledAt);
        stalledAt = undefined;
        stream.onDrain();
      },
      onWritten: (bytes, events) => stream.recordWritten(bytes, events),
    });
    if (signals) {
      // A write the socket refused starts a stall; the drain above ends it.
      const write = response.write.bind(response);
      response.write = (frames, bytes, events) => {
        const ok = write(frames, bytes, events);
        if (!ok && stalledAt === undefined && !response.closed) stalledAt = Date.now();
        return ok;
      };
      const untrack = signals.track({
        get queuedBytes() {
          return response.queuedBytes + res.writableLength;
        },
      });
      res.once('close', untrack);
    }
    return response;
  }

  /** Idle (provider silent) and expired (past max duration) streams are stopped; old finished ones forgotten. */
  private sweep(now: number): void {
    const { timeouts } = this.options.config;
    for (const [id, stream] of this.streams) {
      if (stream.isRunning) {
        stream.flushAudit(false);
        if (now - stream.startedAt > timeouts.maxDurationMs) {
          stream.stop({
            endReason: 'timeout',
            status: 'error',
            error: { code: 'stream_timeout', message: `The stream ran longer than ${timeouts.maxDurationMs} ms.`, retryable: false },
          });
        } else if (stream.firstTokenAt === undefined ? now - stream.startedAt > timeouts.firstTokenMs : now - stream.lastActivityAt > timeouts.idleMs) {
          stream.stop({
            endReason: 'timeout',
            status: 'error',
            error: {
              code: stream.firstTokenAt === undefined ? 'provider_timeout' : 'stream_stalled',
              message: 'The provider stopped sending.',
              retryable: true,
              provider: stream.providerName,
            },
          });
        }
      } else if (!stream.hasConnection && stream.endedAt !== undefined && now - stream.endedAt > timeouts.resumeGraceMs) {
        this.streams.delete(id);
      }
    }
  }
}
