import type { ConnectionWriter, StreamEvent } from '@twin/core';
import type { SSEResponse } from '../http/sse-response';
import type { LiveStream, LiveStreamDeps } from './live-stream';
import { CLIENT_GONE_STOP } from './stop-reason';
import { recordLifecycle } from './stream-records';

// The connection side of a live stream, kept apart from the stream's run (provider, session,
// billing): who reads the stream right now (one local SSE connection, or a connection on another
// instance in cluster mode), the detach grace between readers, and the writes to the socket with
// their backpressure.

/** The (at most one) reader of a {@link LiveStream}, and the writes to it. */
export class StreamConnection {
  /** The socket refused a write and has not drained since. */
  backpressure = false;
  // The local connection's response and writer (both set, or neither), held here rather than in
  // an object of their own: one cold object fewer on every event's way to the socket.
  private response: SSEResponse | undefined;
  private writer: ConnectionWriter | undefined;
  private detachTimer: ReturnType<typeof setTimeout> | undefined;
  /** Cluster mode: the connection on another instance that reads this stream (from the log). */
  private remoteConn: string | undefined;

  constructor(
    private readonly stream: LiveStream,
    private readonly deps: LiveStreamDeps,
  ) {}

  /** A local or a remote connection reads the stream. */
  get hasReader(): boolean {
    return this.response !== undefined || this.remoteConn !== undefined;
  }

  /** Bytes queued on the connection that will still be written before it closes (billed with the rest). */
  get pendingBytes(): number {
    const response = this.response;
    return response && !response.overflowed ? response.queuedUtf8Bytes : 0;
  }

  /** Makes `response` the stream's one reader; a previous connection (local or remote) closes. */
  attach(response: SSEResponse, createWriter: () => ConnectionWriter): void {
    this.stopDetachGrace();
    const previous = this.response;
    const gate = this.stream.openingGate;
    if (gate?.holding && previous) {
      // Held content was meant for the replaced connection; the replay below covers it.
      gate.discard();
    }
    this.writer = createWriter();
    this.response = response;
    this.backpressure = false;
    if (previous && previous !== response) previous.end();
    if (this.remoteConn !== undefined) {
      // One reader per stream: the relay on another instance closes.
      this.remoteConn = undefined;
      this.deps.log?.announce(this.stream.id, `local:${this.stream.id}`);
    }
  }

  /** The connection went away: see {@link LiveStream.detach}. */
  detach(response: SSEResponse, graceMs: number): void {
    if (this.response !== response) return;
    this.detachLocal();
    this.stream.openingGate?.discard();
    if (!this.stream.isRunning || this.remoteConn !== undefined) return;
    this.startDetachGrace(graceMs);
  }

  /** A client resumed through another instance (`conn`): see {@link LiveStream.attachRemote}. */
  attachRemote(conn: string): void {
    if (!this.stream.isRunning) return;
    this.stopDetachGrace();
    const local = this.response;
    if (local) {
      this.stream.openingGate?.discard();
      this.detachLocal();
      local.end();
    }
    this.remoteConn = conn;
    this.deps.metrics.resumes.inc();
    recordLifecycle(this.stream, this.deps, 'stream.resume', { via: 'cluster' });
    // Any other relay closes.
    this.deps.log?.announce(this.stream.id, conn);
  }

  /** The remote connection `conn` went away: the detach grace starts, as for a local one. */
  detachRemote(conn: string, graceMs: number): void {
    if (this.remoteConn !== conn) return;
    this.remoteConn = undefined;
    if (!this.stream.isRunning || this.response) return;
    this.startDetachGrace(graceMs);
  }

  /** No reader waits to be taken back any more (a reader came, or the stream ended). */
  stopDetachGrace(): void {
    if (this.detachTimer) clearTimeout(this.detachTimer);
    this.detachTimer = undefined;
  }

  private startDetachGrace(graceMs: number): void {
    if (graceMs <= 0) {
      this.stream.stop(CLIENT_GONE_STOP);
      return;
    }
    this.deps.metrics.detaches.inc();
    if (this.detachTimer) clearTimeout(this.detachTimer);
    this.detachTimer = setTimeout(() => {
      if (this.response || this.remoteConn !== undefined || !this.stream.isRunning) return;
      this.deps.metrics.detachExpired.inc();
      recordLifecycle(this.stream, this.deps, 'stream.detach_expired', { graceMs });
      this.stream.stop(CLIENT_GONE_STOP);
    }, graceMs);
    this.detachTimer.unref();
  }

  /** Writes events to the local connection, if any; a refused write starts backpressure. */
  write(events: StreamEvent[]): void {
    const response = this.response;
    if (!response || events.length === 0) return;
    const writer = this.writer!;
    const beforeEvents = writer.eventsWritten;
    const before = writer.bytesWritten;
    let frames: string;
    try {
      frames = writer.write(events);
    } catch (error) {
      // A sealer failure breaks this connection's chain: close it, the client resumes on a new one.
      this.deps.logger.error({ err: error, streamId: this.stream.id }, 'sealing failed; closing the connection');
      this.detachLocal();
      response.end();
      return;
    }
    if (frames === '') return;
    const bytes = writer.bytesWritten - before;
    if (!response.write(frames, bytes, writer.eventsWritten - beforeEvents) && !this.backpressure) {
      this.backpressure = true;
      this.deps.metrics.backpressure.inc();
      this.stream.onBackpressure();
    }
    // Past the start event: the first content leaves now, not at the end of the response's first
    // turn (see openSSEResponse). Later calls find nothing held.
    if (events[events.length - 1]!.type !== 'start') response.flush?.();
  }

  /** The socket drained: true when it had been backpressured (the session may go back to its flush rules). */
  drained(): boolean {
    if (!this.backpressure) return false;
    this.backpressure = false;
    return true;
  }

  /** Ends the local connection after the stream's `terminal` event. */
  close(terminal: StreamEvent | undefined): void {
    const gate = this.stream.openingGate;
    const response = this.response;
    const writer = this.writer;
    this.detachLocal();
    if (!response || !writer) return;
    // After an overflow the queued frames were dropped (and with no durable opening the held content
    // is never sent): the terminal event goes out alone, last, in the connection's own format.
    if (gate?.timedOut) gate.discard();
    const dropped = response.overflowed || gate?.timedOut === true;
    response.end(dropped && terminal ? writer.write([terminal]) : undefined);
  }

  /** No local connection any more. */
  private detachLocal(): void {
    this.response = undefined;
    this.writer = undefined;
  }
}
