import type { IncomingMessage, ServerResponse } from 'node:http';
import { TwinError } from '@twin/core';
import type { AuthContext } from '../auth/authenticator';
import type { TransportEncoding } from '../http/negotiate-encoding';
import type { SSEResponse } from '../http/sse-response';
import type { ConnectionTarget } from './connection-target';
import type { LiveStreamDeps } from './live-stream-deps';
import type { StreamHubOptions } from './stream-hub-options';
import type { WireFormat } from './wire-format';

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
    private readonly deps: Pick<LiveStreamDeps, 'metrics' | 'store'>,
    private readonly options: StreamHubOptions,
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
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.count--;
      const n = (this.perKey.get(auth.apiKeyId) ?? 1) - 1;
      if (n <= 0) this.perKey.delete(auth.apiKeyId);
      else this.perKey.set(auth.apiKeyId, n);
      this.deps.metrics.openConnections.set(this.count);
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
}
