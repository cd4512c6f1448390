import type { StreamEvent } from '@twin/core';

/**
 * Holds a new stream's content until its billing record's opening is durable (committed), so no
 * content byte reaches a client for a stream a crash could leave without a record. The `start`
 * event (no content) goes out at once, so headers and the first bytes are never delayed; the first
 * chunk waits for the commit, which the openings writer group-commits with no added wait (on an
 * embedded database on a folder: for the opening's line in the openings journal, see OpeningsJournal).
 *
 * If the database does not commit within `timeoutMs`, `onTimeout` runs: the stream is stopped and
 * ends with an error, and its held content is never sent.
 */
export class OpeningGate {
  private held: StreamEvent[] = [];
  private open = false;
  private failed = false;
  private readonly timer: ReturnType<typeof setTimeout>;
  /** Resolves once the opening is durable or the gate gave up on it: the stream's bill waits for this. */
  readonly settled: Promise<void>;

  constructor(durable: Promise<void>, timeoutMs: number, onOpen: (held: StreamEvent[]) => void, onTimeout: () => void) {
    let settle!: () => void;
    this.settled = new Promise((resolve) => (settle = resolve));
    this.timer = setTimeout(() => {
      if (this.open) return;
      this.failed = true;
      settle();
      onTimeout();
    }, timeoutMs);
    this.timer.unref();
    void durable.then(() => {
      clearTimeout(this.timer);
      if (this.open) return;
      this.open = true;
      const held = this.held;
      this.held = [];
      onOpen(held);
      settle();
    });
  }

  /** True until the opening is durable. */
  get holding(): boolean {
    return !this.open;
  }

  /** True while content is held back (the session should coalesce, as under backpressure). */
  get holdingContent(): boolean {
    return !this.open && this.held.length > 0;
  }

  /** The opening never became durable in time: the stream is being stopped. */
  get timedOut(): boolean {
    return this.failed;
  }

  /** Of `events`, those that may be written now; the rest are kept until the opening is durable. */
  pass(events: StreamEvent[]): StreamEvent[] {
    if (this.open) return events;
    let i = 0;
    // Only the content-free prefix (start, heartbeats) passes while the opening is in flight.
    if (this.held.length === 0) while (i < events.length && (events[i]!.type === 'start' || events[i]!.type === 'heartbeat')) i++;
    if (i < events.length) this.held.push(...events.slice(i));
    return i === events.length ? events : events.slice(0, i);
  }

  /** What is held, given up: used when the stream ends without a durable opening (nothing of it is sent). */
  discard(): StreamEvent[] {
    const held = this.held;
    this.held = [];
    return held;
  }
}
