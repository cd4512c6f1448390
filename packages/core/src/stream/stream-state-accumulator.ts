import type { StreamState } from '../protocol/stream-event';

interface ToolState {
  id: string;
  index: number;
  name: string;
  argsText: string;
  args?: unknown;
  done?: boolean;
}

/** Deltas collected before they are joined onto the text. */
const JOIN_EVERY = 16;
/** Joins onto the text between two flattenings of it. */
const FLATTEN_EVERY = 16;

/**
 * The full content of one stream so far (what a `resync` event carries). Deltas are collected and
 * joined onto the text 16 at a time: `text += delta` per delta would keep a rope node (32–40 bytes
 * on 64-bit Node) plus the delta string for every delta of the stream, for its whole life: more
 * than the text itself, and a long-running stream's largest cost in memory. Not more at a time:
 * a delta waiting to be joined is a string object of its own (often a rope of the provider's
 * pieces), several times its characters, and 2,000 open streams each held 30 of them on average
 * at 64. Every 16 joins the text is flattened, so its rope stays at most 16 nodes deep whatever
 * the stream's length.
 */
export class StreamStateAccumulator {
  private joined = '';
  private joins = 0;
  private readonly pending: string[] = [];
  reasoning: string | undefined;
  private tools: Map<string, ToolState> | undefined;

  /** The text so far. */
  get text(): string {
    if (this.pending.length > 0) this.join();
    return this.joined;
  }

  appendText(delta: string): void {
    this.pending.push(delta);
    if (this.pending.length >= JOIN_EVERY) this.join();
  }

  private join(): void {
    this.joined += this.pending.join('');
    this.pending.length = 0;
    // Reading a character flattens the rope in place (its inner nodes become garbage).
    if (++this.joins % FLATTEN_EVERY === 0) this.joined.charCodeAt(0);
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
