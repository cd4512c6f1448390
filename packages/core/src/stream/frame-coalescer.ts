import type { ChunkContent, ToolCallChunk } from '../protocol/stream-event';

export const TEXT = 1;
export const REASONING = 2;
export const TOOLS = 3;
/** The kind of content a frame holds; 0 while no frame is open. */
export type ContentKind = 0 | typeof TEXT | typeof REASONING | typeof TOOLS;

/** A frame ready to become one `chunk` event. `bytes` is the UTF-8 size of its content. */
export interface Frame {
  content: ChunkContent;
  bytes: number;
}

/**
 * Pending content of one stream, coalesced into frames: consecutive text deltas concatenate,
 * reasoning likewise, tool pieces collect in `tools`. A frame holds one kind only; a change of kind
 * closes it, so the order of kinds is kept frame by frame. The open frame is kept as flat fields
 * rather than an object, so a text delta allocates nothing but the concatenated string.
 */
export class FrameCoalescer {
  /** Parts and UTF-8 bytes pending over all frames (open and closed). */
  parts = 0;
  bytes = 0;
  /** `now` of the oldest pending part. */
  since = 0;

  /** Kind of the open frame (0: none). */
  kind: ContentKind = 0;
  private text = '';
  private tools: ToolCallChunk[] | undefined;
  private frameBytes = 0;
  private closed: Frame[] | undefined;

  /** True when frames closed by a kind change are waiting (nothing more can join them). */
  get hasClosedFrames(): boolean {
    return this.closed !== undefined;
  }

  /** Adds a text or reasoning delta. */
  addText(kind: typeof TEXT | typeof REASONING, delta: string, bytes: number, now: number): void {
    if (this.kind !== kind) this.open(kind);
    this.text += delta;
    this.count(bytes, now);
  }

  /**
   * Adds a tool-call piece. Pieces of the same call that follow each other merge into one entry; an
   * interleaved call starts a new entry, so the order of pieces across calls is kept.
   */
  addTool(
    id: string,
    index: number,
    name: string | undefined,
    argsDelta: string | undefined,
    done: boolean,
    args: unknown,
    bytes: number,
    now: number,
  ): void {
    if (this.kind !== TOOLS) this.open(TOOLS);
    const tools = (this.tools ??= []);
    const last = tools[tools.length - 1];
    let entry: ToolCallChunk;
    if (last !== undefined && last.id === id && !last.done) {
      entry = last;
    } else {
      entry = { id, index };
      tools.push(entry);
    }
    if (name !== undefined && entry.name === undefined) entry.name = name;
    if (argsDelta !== undefined) entry.argsDelta = entry.argsDelta === undefined ? argsDelta : entry.argsDelta + argsDelta;
    if (done) {
      entry.args = args;
      entry.done = true;
    }
    this.count(bytes, now);
  }

  /**
   * When an open text frame is all that is pending (the usual flush of a text stream), takes its
   * text and empties the coalescer, with no frame or content object; otherwise `undefined`.
   */
  drainText(): string | undefined {
    if (this.kind !== TEXT || this.closed !== undefined) return undefined;
    const text = this.text;
    this.kind = 0;
    this.text = '';
    this.frameBytes = 0;
    this.parts = 0;
    this.bytes = 0;
    return text;
  }

  /** Takes every pending frame, oldest first, and empties the coalescer. */
  drain(): Frame[] {
    const frames = this.closed ?? [];
    this.closed = undefined;
    if (this.kind !== 0) frames.push(this.closeOpen());
    this.parts = 0;
    this.bytes = 0;
    return frames;
  }

  private open(kind: ContentKind): void {
    if (this.kind !== 0) (this.closed ??= []).push(this.closeOpen());
    this.kind = kind;
  }

  private closeOpen(): Frame {
    const content: ChunkContent =
      this.kind === TEXT ? { text: this.text } : this.kind === REASONING ? { reasoning: this.text } : { tools: this.tools ?? [] };
    const frame = { content, bytes: this.frameBytes };
    this.kind = 0;
    this.text = '';
    this.tools = undefined;
    this.frameBytes = 0;
    return frame;
  }

  private count(bytes: number, now: number): void {
    if (this.parts === 0) this.since = now;
    this.parts++;
    this.bytes += bytes;
    this.frameBytes += bytes;
  }
}
