import type { IncomingMessage, ServerResponse } from 'node:http';
import { TwinError, type ConnectionWriter } from '@twin/core';
import type { AuthContext } from '../auth/authenticator';
import { randomId } from '../auth/api-key';
import type { TransportEncoding } from '../http/negotiate-encoding';
import { ClientGoneError, socketGone } from '../http/client-presence';
import type { SSEResponse } from '../http/sse-response';
import { TickScheduler } from './tick-scheduler';
import type { ConnectionTarget } from './connection-target';
import { HubConnections } from './hub-connections';
import { LiveStream, type LiveStreamDeps, type LiveStreamInit } from './live-stream';
import type { StartStreamInput } from './start-stream-input';
import { SHUTDOWN_STOP } from './stop-reason';
import type { StreamHubOptions } from './stream-hub-options';
import { TWIN_SSE_FORMAT, type WireFormat } from './wire-format';
import type { LogEntry } from '../cluster/stream-event-log';
import type { ClusterStreams } from '../cluster/cluster-streams';

/**
 * Every stream of this server: starts, resumes and stops them, enforces connection limits
 * (global, storage backlog or event-loop lag → 503, per API key → 429, all with Retry-After), cleans up idle and expired streams,
 * and keeps finished streams resumable for `timeouts.resumeGraceMs`.
 */
export class StreamHub {
  private readonly streams = new Map<string, LiveStream>();
  private readonly connections: HubConnections;
  private running = 0;
  private readonly sweeper: ReturnType<typeof setInterval>;
  private readonly scheduler = new TickScheduler();
  /** What every stream is given: one object for all of them, not a copy (and a closure) per stream. */
  private readonly streamDeps: LiveStreamDeps;

  constructor(
    private readonly deps: Omit<LiveStreamDeps, 'onFinished' | 'config' | 'scheduler'>,
    private readonly options: StreamHubOptions,
  ) {
    this.connections = new HubConnections(deps, options);
    this.streamDeps = {
      ...deps,
      config: options.config,
      scheduler: this.scheduler,
      onFinished: () => {
        this.running--;
        this.deps.metrics.activeStreams.set(this.running);
      },
    };
    this.sweeper = setInterval(() => this.sweep(Date.now()), 1_000);
    this.sweeper.unref();
  }

  /** Cluster mode: resume, control and list streams of other instances. Undefined in one process. */
  get cluster(): ClusterStreams | undefined {
    return this.options.cluster;
  }

  get openConnections(): number {
    return this.connections.count;
  }

  get activeStreams(): number {
    return this.running;
  }

  /** SIGTERM received: no new streams here; running ones are finishing (see {@link drain}). */
  get isDraining(): boolean {
    return this.connections.draining;
  }

  /**
   * Refuses a new connection over the limits (before any header is written). `resume`: a client
   * coming back to a stream this instance runs, still welcome while it drains.
   */
  checkCapacity(auth: AuthContext, resume = false): void {
    this.connections.checkCapacity(auth, resume);
  }

  /**
   * Cluster mode: takes one of the cluster's connection slots for the life of `res` (see
   * {@link HubConnections.takeClusterSlot}). Without a cluster this does nothing.
   */
  takeClusterSlot(auth: AuthContext, res: ServerResponse): Promise<void> {
    return this.connections.takeClusterSlot(auth, res);
  }

  /**
   * Starts a stream and streams it over `res`. Throws {@link ClientGoneError} when the request's
   * socket has already closed: the provider is never called for a client that is gone (its `close`
   * event has fired, so the connection's listener would never hear it and its slot would leak).
   */
  start(auth: AuthContext, input: StartStreamInput, req: IncomingMessage, res: ServerResponse): LiveStream {
    if (socketGone(req)) throw new ClientGoneError('start');
    this.checkCapacity(auth);
    // Assigned field by field: spreading `cond ? { … } : {}` made an object per absent field.
    const init: LiveStreamInit = {
      id: input.id ?? randomId('str', 16),
      billingRecordId: randomId('bill', 16),
      tenantId: auth.tenantId,
      apiKeyId: auth.apiKeyId,
      provider: input.provider,
      model: input.model,
      request: input.request,
    };
    if (input.purpose) init.purpose = input.purpose;
    if (input.metadata) init.metadata = input.metadata;
    if (input.userId) init.userId = input.userId;
    if (input.budgets) init.budgets = input.budgets;
    if (input.sealing) init.sealing = input.sealing;
    if (input.encrypted) init.encrypted = true;
    const stream = new LiveStream(init, this.streamDeps);
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
    this.deps.metrics.countStarted(stream.providerName);
    const format = input.format ?? TWIN_SSE_FORMAT;
    const response = this.connections.open(auth, stream, req, res, input.encoding, format);
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
    const response = this.connections.open(auth, stream, req, res, encoding, format);
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
    const response = this.connections.open(auth, relay, req, res, encoding, format);
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
    this.connections.draining = true;
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
    this.connections.shuttingDown = true;
    clearInterval(this.sweeper);
    const running = [...this.streams.values()].filter((s) => s.isRunning);
    for (const stream of running) stream.stop(SHUTDOWN_STOP);
    await Promise.race([
      Promise.all([...this.streams.values()].map((s) => s.finished)),
      new Promise((r) => setTimeout(r, timeoutMs).unref()),
    ]);
  }

  /** Idle (provider silent) and expired (past max duration) streams are stopped; old finished ones forgotten. */
  private sweep(now: number): void {
    const { timeouts } = this.options.config;
    // values(), not entries: every held stream is visited each second (ended ones too, for their
    // resume grace), and an entry is an array made per stream per sweep.
    for (const stream of this.streams.values()) {
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
        this.streams.delete(stream.id);
      }
    }
  }
}
