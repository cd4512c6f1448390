import type { IncomingMessage, ServerResponse } from 'node:http';
import { TwinError } from '@twin/core';
import type { AuthContext } from '../auth/authenticator';
import type { TransportEncoding } from '../http/negotiate-encoding';
import { openSSEResponse, type SSEResponse, type SSEResponseOptions } from '../http/sse-response';
import type { QueuedConnection } from '../observability/network-signals';
import type { ConnectionTarget } from './connection-target';
import type { LiveStreamDeps } from './live-stream-deps';
import type { StreamHubOptions } from './stream-hub-options';
import type { WireFormat } from './wire-format';

/** The formats' `openResponse` that read a connection's options as methods and getters (see {@link HubConnections.open}). */
const BUILT_IN_RESPONSES = new Set<WireFormat['openResponse']>([openSSEResponse]);

// The connection side of the stream hub, apart from its registry of streams: whether a new
// connection is let in (the limits, draining, shutdown), and opening each one as an SSE response
// whose slot, signals and callbacks are released and reported when it closes.

/** The hub's SSE connections: admission against the limits, counts, and opening each response. */
export class HubConnections {
  /** Open connections, in all and per API key. */
  count = 0;
  private readonly perKey = new Map<string, number>();
  /** SIGTERM received: no new streams here (a resume is still welcome). */
  draining = false;
  /** Shutting down: no connection at all. */
  shuttingDown = false;

  constructor(
    readonly deps: Pick<LiveStreamDeps, 'metrics' | 'store'>,
    readonly options: StreamHubOptions,
  ) {}

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
    // Openings too: on an embedded database with its journal, a stream's content no longer waits for
    // its opening's commit, so a stuck database would otherwise not hold new streams back.
    const backlog = this.deps.store.chunks.pending + this.deps.store.events.pending + this.deps.store.openings.pending;
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
    if (this.count >= this.options.config.maxConnections) {
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

  /** Opens `res` as the SSE connection of `stream` (a stream or a relay), counted until it closes. */
  open(
    auth: AuthContext,
    stream: ConnectionTarget,
    req: IncomingMessage,
    res: ServerResponse,
    encoding: TransportEncoding,
    format: WireFormat,
  ): SSEResponse {
    this.count++;
    this.perKey.set(auth.apiKeyId, (this.perKey.get(auth.apiKeyId) ?? 0) + 1);
    this.deps.metrics.openConnections.set(this.count);
    const connection = new HubConnection(this, auth.apiKeyId, stream, res, encoding, format);
    res.on('close', connection.closed);
    // The built-in formats take the connection itself as their options. Another format gets a plain
    // object: it may spread the options to change one (`{ ...options, retryMs }`), which would drop
    // the connection's getters and methods, and its callbacks may be taken off it and called bare.
    const response = format.openResponse(req, res, BUILT_IN_RESPONSES.has(format.openResponse) ? connection : connection.plainOptions());
    connection.response = response;
    this.options.signals?.track(connection);
    return response;
  }

  /** A connection of `apiKeyId` closed: its slot is given back. */
  released(apiKeyId: string): void {
    this.count--;
    const n = (this.perKey.get(apiKeyId) ?? 1) - 1;
    if (n <= 0) this.perKey.delete(apiKeyId);
    else this.perKey.set(apiKeyId, n);
    this.deps.metrics.openConnections.set(this.count);
  }
}

/**
 * One open connection of the hub: the options its response is opened with, whose callbacks are
 * methods here (the response calls them on this object), the stall it is in, and its slot until
 * `res` closes. One object per connection instead of a context, seven closures and a getter object.
 */
class HubConnection implements SSEResponseOptions, QueuedConnection {
  response: SSEResponse | undefined;
  /** When the socket started refusing writes (a stall the drain ends). */
  private stalledAt: number | undefined;
  private isReleased = false;
  /** `res`'s `close` listener: the connection's slot is given back, its queue no longer tracked. */
  readonly closed = (): void => this.release();

  constructor(
    private readonly hub: HubConnections,
    private readonly apiKeyId: string,
    private readonly stream: ConnectionTarget,
    private readonly res: ServerResponse,
    readonly encoding: TransportEncoding,
    private readonly format: WireFormat,
  ) {}

  get retryMs(): number {
    return this.hub.options.config.retryMs;
  }

  get heartbeatIntervalMs(): number {
    return this.hub.options.config.heartbeatIntervalMs;
  }

  get maxQueuedBytes(): number {
    return this.hub.options.maxQueuedBytesPerConnection;
  }

  /** Read once, when the response opens (made then, not held). */
  get headers(): Record<string, string> {
    const extra = this.format.headers;
    return extra ? { 'X-Twin-Stream-Id': this.stream.id, ...extra } : { 'X-Twin-Stream-Id': this.stream.id };
  }

  /** Bytes queued for the socket now, ours and Node's (`twin_queued_bytes`). */
  get queuedBytes(): number {
    return (this.response?.queuedBytes ?? 0) + this.res.writableLength;
  }

  onClientClose(): void {
    const stream = this.stream;
    const response = this.response;
    if (!response) return;
    const graceMs = this.format.resumable === false ? 0 : this.hub.options.detachGraceMs;
    // Our own endings (DELETE, completion) end the response first and never get here.
    if (stream.isRunning) {
      this.hub.options.signals?.drop(stream.tenantId);
      this.hub.deps.store.events.push({ streamId: stream.id, tenantId: stream.tenantId, type: 'stream.detach', data: { graceMs }, createdAt: new Date() });
    }
    stream.detach(response, graceMs);
  }

  onOverflow(): void {
    this.stream.onOverflow();
  }

  /** A write the socket refused starts a stall; the drain below ends it. */
  onBackpressure(): void {
    if (this.stalledAt === undefined && this.hub.options.signals) this.stalledAt = Date.now();
  }

  onDrain(): void {
    if (this.stalledAt !== undefined) this.hub.options.signals?.stall(this.stream.tenantId, Date.now() - this.stalledAt);
    this.stalledAt = undefined;
    this.stream.onDrain();
  }

  onWritten(bytes: number, events: number): void {
    this.stream.recordWritten(bytes, events);
  }

  /** The options as a plain object with bound callbacks (made only for formats not built in). */
  plainOptions(): SSEResponseOptions {
    return {
      encoding: this.encoding,
      retryMs: this.retryMs,
      heartbeatIntervalMs: this.heartbeatIntervalMs,
      maxQueuedBytes: this.maxQueuedBytes,
      headers: this.headers,
      onClientClose: () => this.onClientClose(),
      onOverflow: () => this.onOverflow(),
      onBackpressure: () => this.onBackpressure(),
      onDrain: () => this.onDrain(),
      onWritten: (bytes, events) => this.onWritten(bytes, events),
    };
  }

  private release(): void {
    if (this.isReleased) return;
    this.isReleased = true;
    this.hub.released(this.apiKeyId);
    this.hub.options.signals?.untrack(this);
  }
}
