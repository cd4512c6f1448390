import { safeParseJSON, type StreamEvent } from '@twin/core';
import type { ChunkRow } from './store-rows';

/** A segment is written when its first event is this old (ms)... */
const AUDIT_SEGMENT_MS = 1_000;
/** ...or its events' data reach this many characters. */
const AUDIT_SEGMENT_BYTES = 65_536;

/**
 * The audit copy of one stream's events, collected into segments: each is written as ONE
 * stream_chunks row when it is a second old, 64 KiB large, or the stream ended, so a stream at 10
 * events/s costs one row per second instead of ten (an embedded database commits on the event loop).
 *
 * A segment of plain text chunks (`{ v, seq, text }`, the bulk of any stream) is stored compact,
 * as the row event `texts` with data `{"v":1,"seq":<first>,"texts":[...]}`: the chunks' texts alone,
 * their seqs following from the first. It is the same events (the readers rebuild them), at a
 * third of the bytes, and nothing is encoded per event: the JSON is written once, at the flush.
 * Any other event turns the segment into the general form, a JSON array of `{ event, data }` (row
 * event `segment`, or the event's type for a one-event row). {@link auditRowItems} reads both.
 */
export class AuditSegmentWriter {
  /** The general form's lines (none while the segment is compact or empty: no array to look at per event). */
  private lines: string[] | undefined;
  /**
   * Texts of the plain text chunks of a compact segment: the first `textCount` (none when the
   * segment is general or empty). One array for the writer's life, written over segment after
   * segment: a new one per segment lived its second and was promoted to the old generation with
   * every segment (the texts themselves outlive it anyway, in the stream's replay window and text).
   */
  private texts: string[] = [];
  private textCount = 0;
  private textVersion = 1;
  private firstSeq = 0;
  private lastSeq = 0;
  private firstType = 'chunk';
  private bytes = 0;
  private since = 0;

  constructor(
    private readonly stream: { streamId: string; tenantId: string },
    /** A sealed stream's content stays out of the database: only its shape is audited. */
    private readonly sealed: boolean,
    private readonly write: (row: ChunkRow) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Adds new events to the pending segment (heartbeats are not audited). `now`: the caller's reading
   * of the clock, when it has one (the stream's delivery has the time its part arrived), so a
   * segment's age costs no clock read per event.
   */
  add(events: readonly StreamEvent[], now?: number): void {
    for (const event of events) {
      if (event.type === 'heartbeat') continue;
      const empty = this.lines === undefined && this.textCount === 0;
      if (empty) {
        this.firstSeq = event.data.seq;
        this.since = now ?? this.now();
        this.firstType = event.type;
      }
      this.lastSeq = event.data.seq;
      const text = this.sealed || this.lines !== undefined ? undefined : plainText(event);
      if (text !== undefined && (empty || event.data.v === this.textVersion)) {
        if (empty) this.textVersion = event.data.v;
        this.texts[this.textCount++] = text;
        this.bytes += text.length;
        continue;
      }
      if (this.textCount > 0) this.generalize();
      const data =
        this.sealed && (event.type === 'chunk' || event.type === 'resync') ? `{"v":${event.data.v},"seq":${event.data.seq},"sealed":true}` : JSON.stringify(event.data);
      (this.lines ??= []).push(`{"event":"${event.type}","data":${data}}`);
      this.bytes += data.length;
    }
  }

  /** Writes the pending segment when it is due (`force`: now), by the clock reading `now` if given (see {@link add}). */
  flush(force: boolean, now?: number): void {
    const compact = this.textCount > 0;
    const lines = this.lines;
    if (!compact && lines === undefined) return;
    if (!force && (now ?? this.now()) - this.since < AUDIT_SEGMENT_MS && this.bytes < AUDIT_SEGMENT_BYTES) return;
    const data = compact ? `{"v":${this.textVersion},"seq":${this.firstSeq},"texts":${JSON.stringify(this.segmentTexts())}}` : `[${lines!.join(',')}]`;
    this.write({
      streamId: this.stream.streamId,
      seq: this.firstSeq,
      lastSeq: this.lastSeq,
      tenantId: this.stream.tenantId,
      event: compact ? TEXTS_ROW : lines!.length === 1 ? this.firstType : 'segment',
      data,
      bytes: Buffer.byteLength(data),
      createdAt: new Date(),
    });
    this.lines = undefined;
    this.textCount = 0;
    // A forced flush (the stream ended or went quiet): the texts need not be kept until overwritten.
    if (force) this.texts = [];
    this.bytes = 0;
  }

  /** The compact segment's texts, as an array of exactly those. */
  private segmentTexts(): string[] {
    const texts = this.texts;
    return this.textCount === texts.length ? texts : texts.slice(0, this.textCount);
  }

  /** The compact texts so far become general lines (a non-text event joined the segment). */
  private generalize(): void {
    const lines = (this.lines ??= []);
    for (let i = 0; i < this.textCount; i++) {
      lines.push(`{"event":"chunk","data":{"v":${this.textVersion},"seq":${this.firstSeq + i},"text":${JSON.stringify(this.texts[i])}}}`);
    }
    this.textCount = 0;
  }
}

/** The row event of a compact segment of plain text chunks. */
const TEXTS_ROW = 'texts';

/** The text of a plain text chunk (`{ v, seq, text }` and nothing else), else undefined. */
function plainText(event: Exclude<StreamEvent, { type: 'heartbeat' }>): string | undefined {
  if (event.type !== 'chunk') return undefined;
  const data = event.data as { v: number; seq: number; text?: unknown };
  if (typeof data.text !== 'string') return undefined;
  let keys = 0;
  for (const _key in data) keys++;
  return keys === 3 ? data.text : undefined;
}

/** One audited event of a stream_chunks row. */
export interface AuditItem {
  event?: unknown;
  data?: Record<string, unknown>;
}

/** The events one stream_chunks row holds: a segment (JSON array of `{ event, data }`), a compact text segment, or a single event's data. */
export function auditRowItems(event: string, data: string): AuditItem[] {
  const parsed = safeParseJSON(data);
  if (!parsed.success) return [];
  if (Array.isArray(parsed.value)) return parsed.value as AuditItem[];
  const value = parsed.value as { v?: unknown; seq?: unknown; texts?: unknown };
  if (event === TEXTS_ROW && Array.isArray(value.texts) && typeof value.seq === 'number') {
    // A compact segment: the plain text chunks it holds, rebuilt.
    const first = value.seq;
    return value.texts.map((text: unknown, i) => ({ event: 'chunk', data: { v: value.v, seq: first + i, text } }));
  }
  return [{ event, data: parsed.value as Record<string, unknown> }];
}

/**
 * The text and reasoning one stream_chunks row carries in clear. A sealed payload has none (its
 * bytes are still billed).
 */
export function auditRowText(event: string, data: string): string {
  let text = '';
  for (const item of auditRowItems(event, data)) {
    if (item.event !== 'chunk' && item.event !== 'resync') continue;
    const content = item.data ?? {};
    if (typeof content.text === 'string') text += content.text;
    if (typeof content.reasoning === 'string') text += content.reasoning;
  }
  return text;
}
