import { randomBytes } from 'node:crypto';
import type { ConnectionWriter, StreamEvent } from '@twin/core';
import type { Logger } from 'pino';
import type { SSEResponse } from '../http/sse-response';
import type { ClusterBus } from './cluster-bus';
import type { ClusterControl } from './cluster-control';
import type { LogEntry, StreamEventLog, StreamLogMeta } from './stream-event-log';

export interface RelayDeps {
  log: StreamEventLog;
  bus: ClusterBus;
  control: ClusterControl;
  logger: Logger;
}

/**
 * A client's connection to a stream that another instance runs (a resume that landed here): the
 * exact continuation after its `Last-Event-ID`, first from the stream's Redis log, then its live
 * tail (the owner publishes each batch it logs). Events are written in seq order, each once: what
 * arrives twice (replay and tail overlap) is skipped, a hole in the tail is filled from the log, and
 * a hole the log cannot fill (Redis lost events during an outage) ends the connection rather than
 * skip an event: the client reconnects and, on the owner, resumes from its memory. The owner is told
 * of the connection (it keeps the stream running, and closes any other reader), of what it wrote
 * (metered and billed there) and when it goes.
 */
export class StreamRelay {
  readonly id: string;
  readonly tenantId: string;
  /** This connection's id in the owner's attach / detach messages. */
  readonly conn = randomBytes(8).toString('hex');
  private delivered: number;
  private response: SSEResponse | undefined;
  private writer: ConnectionWriter | undefined;
  private closed = false;
  private live = false;
  private buffered: string[] = [];
  private chain: Promise<void> = Promise.resolve();
  private unsubscribe: (() => void) | undefined;
  private unreported = { bytes: 0, events: 0 };
  private reportScheduled = false;
  /** The owner announced this connection as the stream's reader. */
  private acknowledged = false;

  constructor(
    readonly meta: StreamLogMeta & { ended: boolean },
    lastEventId: number,
    private readonly deps: RelayDeps,
  ) {
    this.id = meta.streamId;
    this.tenantId = meta.tenantId;
    this.delivered = lastEventId;
  }

  /** True until the terminal event was written or the connection closed. */
  get isRunning(): boolean {
    return !this.closed;
  }

  /**
   * Subscribes to the live tail, then reads what the log holds after the client's position. Tail
   * messages arriving meanwhile wait, so nothing falls between the two. Throws when Redis is away.
   */
  async open(): Promise<LogEntry[]> {
    this.unsubscribe = await this.deps.bus.subscribe(this.deps.log.channel(this.id), (message) => {
      if (this.closed) return;
      if (!this.live) this.buffered.push(message);
      else this.enqueue(() => this.onMessage(message));
    });
    try {
      return await this.deps.log.readAfter(this.id, this.delivered);
    } catch (error) {
      this.unsubscribe();
      throw error;
    }
  }

  /** The replay does not start right after the client's position: out of the log's window (or a hole). */
  startsWithGap(entries: readonly LogEntry[]): boolean {
    return entries.length > 0 && entries[0]!.seq !== this.delivered + 1;
  }

  /** Gives up before any response was opened (the route answers otherwise). */
  abandon(): void {
    this.closed = true;
    this.unsubscribe?.();
  }

  /** Starts writing: `first` (from {@link open}), then the tail. */
  begin(response: SSEResponse, writer: ConnectionWriter, first: LogEntry[]): void {
    this.response = response;
    this.writer = writer;
    void this.deps.control.send(this.meta.owner, { op: 'attach', stream: this.id, conn: this.conn });
    this.enqueue(async () => {
      if (!this.writeEntries(first)) return;
      this.live = true;
      const held = this.buffered;
      this.buffered = [];
      for (const message of held) await this.onMessage(message);
    });
  }

  // ── the hub's connection callbacks ─────────────────────────────────────────

  /** The client went away: the owner's detach grace starts. */
  detach(response: SSEResponse, graceMs: number): void {
    if (response !== this.response) return;
    this.stop(graceMs);
  }

  /** The client reads too slowly: close (it resumes from its last event). */
  onOverflow(): void {
    this.response?.end();
    this.stop(undefined);
  }

  onDrain(): void {}

  recordWritten(bytes: number, events: number): void {
    this.unreported.bytes += bytes;
    this.unreported.events += events;
    if (this.reportScheduled) return;
    this.reportScheduled = true;
    setImmediate(() => this.report());
  }

  // ── internals ──────────────────────────────────────────────────────────────

  private enqueue(task: () => Promise<void> | void): void {
    this.chain = this.chain.then(task).catch((error: unknown) => {
      this.deps.logger.warn({ err: error, streamId: this.id }, 'relay failed; closing the connection (the client resumes)');
      this.response?.end();
      this.stop(undefined);
    });
  }

  private async onMessage(message: string): Promise<void> {
    if (this.closed) return;
    if (message.startsWith('{')) {
      // The owner announces each new reader, in order: one announced after this one replaces it.
      // (One announced before it is an older reader, whatever the order the messages crossed in.)
      const { attach } = JSON.parse(message) as { attach?: string };
      if (attach === this.conn) this.acknowledged = true;
      else if (attach !== undefined && this.acknowledged) {
        this.response?.end();
        this.stop(undefined, false);
      }
      return;
    }
    const entries = JSON.parse(message) as LogEntry[];
    const fresh = entries.filter((e) => e.seq > this.delivered);
    if (fresh.length === 0) {
      this.endBehind(entries);
      return;
    }
    if (fresh[0]!.seq !== this.delivered + 1) {
      // A hole in the tail (a message published before we subscribed, or lost): fill it from the log.
      const filled = await this.deps.log.readAfter(this.id, this.delivered);
      if (filled.length === 0 || filled[0]!.seq !== this.delivered + 1) {
        this.fail('the live tail has a hole the log cannot fill');
        return;
      }
      this.writeEntries(filled);
      return;
    }
    this.writeEntries(fresh);
  }

  /** Writes contiguous entries; false once the connection is closed (terminal written, or a hole). */
  private writeEntries(entries: readonly LogEntry[]): boolean {
    const events: StreamEvent[] = [];
    let terminal = false;
    for (const entry of entries) {
      if (entry.seq <= this.delivered) continue;
      if (entry.seq !== this.delivered + 1) {
        this.flushEvents(events);
        this.fail('the stream log has a hole (Redis lost events)');
        return false;
      }
      const event = this.deps.log.decode(this.id, entry, this.meta.encrypted);
      events.push(event);
      this.delivered = entry.seq;
      if (event.type === 'complete' || event.type === 'error') {
        terminal = true;
        break;
      }
    }
    this.flushEvents(events);
    if (terminal) {
      this.response?.end();
      this.stop(undefined, false);
      return false;
    }
    return !this.closed;
  }

  /**
   * A terminal event at or before the client's position, while this relay is still open: its owner
   * died after writing events to the client that never reached the log (the log is written just
   * behind the socket), and the survivor ended the log right after its last logged event, with a seq
   * the client already has for another event. Skipping it as a repeat would leave the client waiting
   * forever; it goes out after what the client has, so the client gets its ending and its receipt.
   */
  private endBehind(entries: readonly LogEntry[]): void {
    const last = entries.at(-1);
    if (!last) return;
    const event = this.deps.log.decode(this.id, last, this.meta.encrypted);
    if (event.type !== 'error' && event.type !== 'complete') return;
    this.delivered += 1;
    this.flushEvents([{ ...event, data: { ...event.data, seq: this.delivered } } as StreamEvent]);
    this.response?.end();
    this.stop(undefined, false);
  }

  private flushEvents(events: StreamEvent[]): void {
    const writer = this.writer;
    const response = this.response;
    if (!writer || !response || events.length === 0 || this.closed) return;
    const beforeBytes = writer.bytesWritten;
    const beforeEvents = writer.eventsWritten;
    const frames = writer.write(events);
    if (frames !== '') response.write(frames, writer.bytesWritten - beforeBytes, writer.eventsWritten - beforeEvents);
  }

  private fail(why: string): void {
    this.deps.logger.warn({ streamId: this.id, delivered: this.delivered }, `relay closed: ${why}; the client resumes`);
    this.response?.end();
    this.stop(undefined);
  }

  /** Closes this relay: no more writes; tells the owner (detach) unless the stream is over for this reader. */
  private stop(graceMs: number | undefined, detach = true): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe?.();
    this.report();
    if (detach) void this.deps.control.send(this.meta.owner, { op: 'detach', stream: this.id, conn: this.conn, graceMs: graceMs ?? -1 });
  }

  private report(): void {
    this.reportScheduled = false;
    const { bytes, events } = this.unreported;
    if (bytes === 0 && events === 0) return;
    this.unreported = { bytes: 0, events: 0 };
    void this.deps.control.send(this.meta.owner, { op: 'wrote', stream: this.id, bytes, events });
  }
}
