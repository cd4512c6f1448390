import type { StreamEvent } from '@twin/core';
import type { StreamLogSink } from './live-stream-deps';

// Cluster mode: a live stream's copy of its events in the shared log, kept apart from the stream's
// wire and audit copies because it has its own hold: content stays out of the log until the
// stream's opening is durable, as it stays off the wire.

/** A stream's events on their way to the cluster's log (nothing without a log). */
export class StreamLogCopy {
  /** Events kept out of the log until the opening is durable. */
  private held: StreamEvent[] | undefined;

  constructor(
    private readonly streamId: string,
    private readonly log: StreamLogSink | undefined,
    private readonly encrypted: boolean,
  ) {}

  /** From now on events wait for {@link release} (the opening is not durable yet). */
  hold(): void {
    if (this.log) this.held = [];
  }

  /** New events to the log (held there too until the opening is durable). */
  append(events: StreamEvent[]): void {
    const log = this.log;
    if (!log) return;
    if (this.held) this.held.push(...events);
    else log.append(this.streamId, events, this.encrypted);
  }

  /** The opening committed: what was held goes to the log, and what follows goes at once. */
  release(): void {
    const held = this.held;
    this.held = undefined;
    if (held && held.length > 0) this.log?.append(this.streamId, held, this.encrypted);
  }

  /** The stream ended: its log entry ends (an opening that never became durable keeps its content out for good). */
  end(tenantId: string): void {
    this.held = undefined;
    this.log?.end(this.streamId, tenantId);
  }
}
