import { safeParseJSON, type StreamEvent } from '@twin/core';
import type { ChunkRow } from './store-rows';

/** A segment is written when its first event is this old (ms)... */
const AUDIT_SEGMENT_MS = 1_000;
/** ...or its events' data reach this many characters. */
const AUDIT_SEGMENT_BYTES = 65_536;

/**
 * The audit copy of one stream's events, collected into segments: each is written as ONE
 * stream_chunks row (a JSON array of `{ event, data }`) when it is a second old, 64 KiB large, or
 * the stream ended, so a stream at 10 events/s costs one row per second instead of ten (an embedded
 * database commits on the event loop). {@link auditRowText} reads the rows back.
 */
export class AuditSegmentWriter {
  private lines: string[] = [];
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

  /** Adds new events to the pending segment (heartbeats are not audited). */
  add(events: readonly StreamEvent[]): void {
    for (const event of events) {
      if (event.type === 'heartbeat') continue;
      const data =
        this.sealed && (event.type === 'chunk' || event.type === 'resync') ? `{"v":${event.data.v},"seq":${event.data.seq},"sealed":true}` : JSON.stringify(event.data);
      if (this.lines.length === 0) {
        this.firstSeq = event.data.seq;
        this.since = this.now();
        this.firstType = event.type;
      }
      this.lines.push(`{"event":"${event.type}","data":${data}}`);
      this.lastSeq = event.data.seq;
      this.bytes += data.length;
    }
  }

  /** Writes the pending segment when it is due (`force`: now). */
  flush(force: boolean): void {
    if (this.lines.length === 0) return;
    if (!force && this.now() - this.since < AUDIT_SEGMENT_MS && this.bytes < AUDIT_SEGMENT_BYTES) return;
    const data = `[${this.lines.join(',')}]`;
    this.write({
      streamId: this.stream.streamId,
      seq: this.firstSeq,
      lastSeq: this.lastSeq,
      tenantId: this.stream.tenantId,
      event: this.lines.length === 1 ? this.firstType : 'segment',
      data,
      bytes: Buffer.byteLength(data),
      createdAt: new Date(),
    });
    this.lines = [];
    this.bytes = 0;
  }
}

/** One audited event of a stream_chunks row. */
export interface AuditItem {
  event?: unknown;
  data?: Record<string, unknown>;
}

/** The events one stream_chunks row holds: a segment (JSON array of `{ event, data }`) or a single event's data. */
export function auditRowItems(event: string, data: string): AuditItem[] {
  const parsed = safeParseJSON(data);
  if (!parsed.success) return [];
  return Array.isArray(parsed.value) ? (parsed.value as AuditItem[]) : [{ event, data: parsed.value as Record<string, unknown> }];
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
