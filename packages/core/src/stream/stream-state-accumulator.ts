import type { StreamState } from '../protocol/stream-event';

interface ToolState {
  id: string;
  index: number;
  name: string;
  argsText: string;
  args?: unknown;
  done?: boolean;
}

/** Deltas collected before they are joined into one piece of the text. */
const JOIN_EVERY = 16;
/** Pieces of one size kept before they are joined into one piece of the next size. */
const MERGE_EVERY = 16;

/**
 * The full content of one stream so far (what a `resync` event carries). Deltas are collected and
 * joined 16 at a time into one flat piece: `text += delta` per delta would keep a rope node (32–40
 * bytes on 64-bit Node) plus the delta string for every delta of the stream, for its whole life:
 * more than the text itself, and a long-running stream's largest cost in memory. Not more at a
 * time: a delta waiting to be joined is a string object of its own (often a rope of the provider's
 * pieces), several times its characters, and 2,000 open streams each held 30 of them on average
 * at 64.
 *
 * The pieces are merged like a binary counter in base 16: 16 pieces of one size become one piece
 * of the next (16 × 16 deltas, then 16 × 256 …), so at most 15 pieces of each size are kept and
 * every character is copied once per size it passes through — a handful of times over any stream.
 * The text used to be one string flattened every 16 joins, which copied the WHOLE text every 256
 * deltas: quadratic in the stream's length (a 1,000-delta stream of 23-character deltas copied
 * 56 bytes per delta on average, 90 at its end, all of it outliving the young generation), for a
 * text that is read only on a replay, a resync or a snapshot.
 */
export class StreamStateAccumulator {
  /** Flat pieces of the text, oldest first; `sizes[i]` is how many joins of deltas piece i holds. */
  private readonly pieces: string[] = [];
  private readonly sizes: number[] = [];
  private readonly pending: string[] = [];
  reasoning: string | undefined;
  private tools: Map<string, ToolState> | undefined;

  /**
   * The text so far: its pieces chained (a rope of at most some 50 nodes, no character copied; a
   * slice or a write flattens it when needed, as it did the flattened-every-16-joins rope before).
   * Not kept: the admin's listing reads every live stream's snapshot, and a read must not copy
   * the whole text each time.
   */
  get text(): string {
    if (this.pending.length > 0) this.join();
    const pieces = this.pieces;
    let text = pieces.length > 0 ? pieces[0]! : '';
    for (let i = 1; i < pieces.length; i++) text += pieces[i]!;
    return text;
  }

  appendText(delta: string): void {
    this.pending.push(delta);
    if (this.pending.length >= JOIN_EVERY) this.join();
  }

  private join(): void {
    this.pieces.push(this.pending.join(''));
    this.sizes.push(1);
    this.pending.length = 0;
    // The last MERGE_EVERY pieces of one size become one piece of the next size (and so on up).
    const { pieces, sizes } = this;
    for (let n = sizes.length; n >= MERGE_EVERY; n = sizes.length) {
      const size = sizes[n - 1]!;
      if (sizes[n - MERGE_EVERY] !== size) return;
      const merged = pieces.splice(n - MERGE_EVERY, MERGE_EVERY).join('');
      sizes.length = n - MERGE_EVERY;
      pieces.push(merged);
      sizes.push(size * MERGE_EVERY);
    }
  }

  appendReasoning(delta: string): void {
    this.reasoning = this.reasoning === undefined ? delta : this.reasoning + delta;
  }

  /** Registers a call (or renames one that arrived without a start). */
  toolStart(id: string, index: number, name: string): void {
    const tool = this.tool(id, index);
    tool.name = name;
  }

  toolDelta(id: string, index: number, delta: string): void {
    this.tool(id, index).argsText += delta;
  }

  /**
   * Marks a call complete. Returns the part of `argsText` the client has not seen yet as deltas
   * (all of it when the provider sent the call in one piece), or `undefined` when nothing is missing
   * or the final text does not extend what was streamed (then the parsed `args` are what counts).
   */
  toolDone(id: string, index: number, name: string, args: unknown, argsText: string): string | undefined {
    const tool = this.tool(id, index);
    tool.name = name;
    tool.args = args;
    tool.done = true;
    const seen = tool.argsText;
    tool.argsText = argsText;
    if (argsText.length > seen.length && argsText.startsWith(seen)) return argsText.slice(seen.length);
    return undefined;
  }

  /** A copy, safe to hand out: later deltas do not change it. */
  snapshot(): StreamState {
    const state: StreamState = { text: this.text };
    if (this.reasoning !== undefined) state.reasoning = this.reasoning;
    if (this.tools !== undefined) {
      state.tools = [];
      for (const tool of this.tools.values()) state.tools.push({ ...tool });
    }
    return state;
  }

  private tool(id: string, index: number): ToolState {
    this.tools ??= new Map();
    let tool = this.tools.get(id);
    if (tool === undefined) {
      tool = { id, index, name: '', argsText: '' };
      this.tools.set(id, tool);
    }
    return tool;
  }
}
