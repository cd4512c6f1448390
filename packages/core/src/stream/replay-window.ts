import { PROTOCOL_VERSION } from '../protocol/version';
import type { StreamEvent } from '../protocol/stream-event';

/** As an entry's end: the entry is not a plain text chunk; the event is in `others`. */
const NOT_TEXT = 0xffff_ffff;
const INITIAL_CAPACITY = 16;

/**
 * The most recent events of one stream, bounded by count and by (approximate) bytes, for
 * `Last-Event-ID` resume. Events enter in sequence order with consecutive seqs, so the event for
 * seq `s` sits at position `s - startSeq` and a lookup is O(1).
 *
 * A plain text chunk (`{ v, seq, text }`, the bulk of any stream) is held as where its text ends in
 * the stream's whole text (UTF-16 units): text chunks follow each other in that text (the stream
 * buffer keeps it for `resync` anyway), so a chunk is the slice from the previous text chunk's end
 * to its own, and the seq follows from the position. The window holds no string and no object for
 * them: two 32-bit integers per event (the end and the size) in a ring that grows by doubling up to
 * the count bound, 8 KiB at 1,024 events. Other events are kept as they are, by seq.
 * {@link ReplayWindow.after} rebuilds equal events.
 */
export class ReplayWindow {
  // Each entry's end, then its size, side by side: an event writes one place of one array (two
  // arrays were two more objects and cache lines touched per event, over thousands of streams).
  private ring = new Uint32Array(INITIAL_CAPACITY * 2);
  /** Entries the ring holds (a power of two). */
  private capacity = INITIAL_CAPACITY;
  // The other events by seq: the first one held alone (a text stream's only one is its `start`,
  // and a Map for it cost some 200 bytes per stream), a Map for the rest.
  private otherSeq = -1;
  private other: StreamEvent | undefined;
  private others: Map<number, StreamEvent> | undefined;
  /** Ring position of the oldest held event. */
  private head = 0;
  private held = 0;
  /** Where the text of the first held text chunk starts: the end of the last text chunk evicted. */
  private evictedTextEnd = 0;
  /** Seq of the oldest held event, or the next seq to be added when the window is empty. */
  startSeq = 0;
  bytes = 0;

  constructor(
    private readonly maxEvents: number,
    private readonly maxBytes: number,
  ) {}

  get count(): number {
    return this.held;
  }

  /**
   * Adds the event with seq `seq` (must be the next one), evicting the oldest past either bound.
   * `textEnd`: the event is a plain text chunk `{ v, seq, text }` whose text ends at `textEnd` in the
   * stream's text (and starts where the previous text chunk's ended), held as that position alone.
   */
  add(event: StreamEvent, seq: number, size: number, textEnd?: number): void {
    // The oldest goes first when the count is at its bound (it would be evicted right after).
    while (this.held > 0 && this.held >= this.maxEvents) this.evict();
    if (this.held === 0) this.startSeq = seq;
    if (this.held === this.capacity) this.grow();
    const at = ((this.head + this.held) & (this.capacity - 1)) * 2;
    const ring = this.ring;
    if (textEnd === undefined) {
      ring[at] = NOT_TEXT;
      if (this.other === undefined) {
        this.otherSeq = seq;
        this.other = event;
      } else (this.others ??= new Map()).set(seq, event);
    } else {
      ring[at] = textEnd;
    }
    ring[at + 1] = size;
    this.held++;
    this.bytes += size;
    while (this.held > 0 && (this.held > this.maxEvents || this.bytes > this.maxBytes)) this.evict();
  }

  /** True when every event after `lastSeq` up to the newest is still held. */
  covers(lastSeq: number): boolean {
    return lastSeq + 1 >= this.startSeq;
  }

  /**
   * The held events with seq > `lastSeq` (call only when {@link covers} is true). `text`: the
   * stream's whole text so far, which the text chunks are slices of.
   */
  after(lastSeq: number, text: string): StreamEvent[] {
    const out: StreamEvent[] = [];
    const mask = this.capacity - 1;
    let textStart = this.evictedTextEnd;
    for (let i = 0; i < this.held; i++) {
      const seq = this.startSeq + i;
      const end = this.ring[((this.head + i) & mask) * 2]!;
      if (end === NOT_TEXT) {
        if (seq > lastSeq) out.push(seq === this.otherSeq ? this.other! : this.others!.get(seq)!);
        continue;
      }
      if (seq > lastSeq) out.push({ type: 'chunk', data: { v: PROTOCOL_VERSION, seq, text: text.slice(textStart, end) } });
      textStart = end;
    }
    return out;
  }

  private evict(): void {
    const at = this.head;
    const end = this.ring[at * 2]!;
    if (end !== NOT_TEXT) this.evictedTextEnd = end;
    else if (this.startSeq === this.otherSeq) {
      this.other = undefined;
      this.otherSeq = -1;
    } else this.others!.delete(this.startSeq);
    this.bytes -= this.ring[at * 2 + 1]!;
    this.head = (at + 1) & (this.capacity - 1);
    this.held--;
    this.startSeq++;
  }

  /** Doubles the ring (its capacity stays a power of two), the oldest event moving to position 0. */
  private grow(): void {
    const ring = new Uint32Array(this.capacity * 4);
    const mask = this.capacity - 1;
    for (let i = 0; i < this.held; i++) {
      const from = ((this.head + i) & mask) * 2;
      ring[i * 2] = this.ring[from]!;
      ring[i * 2 + 1] = this.ring[from + 1]!;
    }
    this.ring = ring;
    this.capacity *= 2;
    this.head = 0;
  }
}
