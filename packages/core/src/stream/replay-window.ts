import { PROTOCOL_VERSION } from '../protocol/version';
import type { StreamEvent } from '../protocol/stream-event';

/**
 * A held event, or for a plain text chunk (`{ v, seq, text }`, the bulk of any stream) its text
 * alone: the event and data objects cost about 90 bytes beside the text on 64-bit Node, and the seq
 * follows from the position. {@link ReplayWindow.after} rebuilds equal events.
 */
type Entry = StreamEvent | string;

/**
 * The most recent events of one stream, bounded by count and by (approximate) bytes, for
 * `Last-Event-ID` resume. Events enter in sequence order with consecutive seqs, so the event for
 * seq `s` sits at `s - startSeq` and a lookup is O(1).
 */
export class ReplayWindow {
  private entries: Entry[] = [];
  private sizes: number[] = [];
  /** Index of the oldest live entry; evicted entries before it are compacted away in batches. */
  private head = 0;
  /** Seq of `events[head]`, or the next seq to be added when the window is empty. */
  startSeq = 0;
  bytes = 0;

  constructor(
    private readonly maxEvents: number,
    private readonly maxBytes: number,
  ) {}

  get count(): number {
    return this.entries.length - this.head;
  }

  /**
   * Adds the event with seq `seq` (must be the next one), evicting the oldest past either bound.
   * `text`: the event is a plain text chunk `{ v, seq, text }` with this text, held as the text alone.
   */
  add(event: StreamEvent, seq: number, size: number, text?: string): void {
    if (this.count === 0) this.startSeq = seq;
    this.entries.push(text ?? event);
    this.sizes.push(size);
    this.bytes += size;
    while (this.count > 0 && (this.count > this.maxEvents || this.bytes > this.maxBytes)) {
      this.bytes -= this.sizes[this.head]!;
      this.head++;
      this.startSeq++;
    }
    // Compact lazily so eviction stays O(1) amortised without a ring buffer's bookkeeping.
    if (this.head > 64 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.sizes.splice(0, this.head);
      this.head = 0;
    }
  }

  /** True when every event after `lastSeq` up to the newest is still held. */
  covers(lastSeq: number): boolean {
    return lastSeq + 1 >= this.startSeq;
  }

  /** The held events with seq > `lastSeq` (call only when {@link covers} is true). */
  after(lastSeq: number): StreamEvent[] {
    const from = this.head + Math.max(0, lastSeq + 1 - this.startSeq);
    const out: StreamEvent[] = [];
    for (let i = from; i < this.entries.length; i++) {
      const entry = this.entries[i]!;
      out.push(typeof entry === 'string' ? { type: 'chunk', data: { v: PROTOCOL_VERSION, seq: this.startSeq + i - this.head, text: entry } } : entry);
    }
    return out;
  }
}
