import type { CompleteEventData, ErrorEventData, StreamEvent, ToolCallChunk } from '../protocol/stream-event';

/** One block of a collected answer, in the order the model produced them. */
export type CompatAnswerBlock =
  | { type: 'text'; text: string }
  | { type: 'reasoning'; text: string }
  | { type: 'tool'; id: string; index: number; name: string; argsText: string; args?: unknown; done: boolean };

/**
 * Collects a Twin stream's events into a whole answer, for the non-streamed form of a compatible
 * door: text and reasoning as ordered blocks (consecutive deltas of one kind join), tool calls by
 * id, and the terminal `complete` or `error`.
 */
export class CompatAnswer {
  readonly blocks: CompatAnswerBlock[] = [];
  complete: CompleteEventData | undefined;
  error: ErrorEventData | undefined;
  private readonly tools = new Map<string, Extract<CompatAnswerBlock, { type: 'tool' }>>();

  get ended(): boolean {
    return this.complete !== undefined || this.error !== undefined;
  }

  push(event: StreamEvent): void {
    if (event.type === 'complete') this.complete = event.data;
    else if (event.type === 'error') this.error = event.data;
    else if (event.type === 'chunk') {
      const data = event.data as { text?: string; reasoning?: string; tools?: ToolCallChunk[] };
      if (data.reasoning) this.append('reasoning', data.reasoning);
      if (data.text) this.append('text', data.text);
      for (const piece of data.tools ?? []) this.tool(piece);
    }
  }

  /** All text blocks joined. */
  get text(): string {
    let out = '';
    for (const block of this.blocks) if (block.type === 'text') out += block.text;
    return out;
  }

  /** All reasoning joined, or undefined when there was none. */
  get reasoning(): string | undefined {
    let out: string | undefined;
    for (const block of this.blocks) if (block.type === 'reasoning') out = (out ?? '') + block.text;
    return out;
  }

  /** The tool calls, by their index. */
  get toolCalls(): Array<Extract<CompatAnswerBlock, { type: 'tool' }>> {
    return [...this.tools.values()].sort((a, b) => a.index - b.index);
  }

  private append(type: 'text' | 'reasoning', text: string): void {
    const last = this.blocks[this.blocks.length - 1];
    if (last !== undefined && last.type === type) last.text += text;
    else this.blocks.push({ type, text });
  }

  private tool(piece: ToolCallChunk): void {
    let tool = this.tools.get(piece.id);
    if (tool === undefined) {
      tool = { type: 'tool', id: piece.id, index: piece.index, name: '', argsText: '', done: false };
      this.tools.set(piece.id, tool);
      this.blocks.push(tool);
    }
    if (piece.name !== undefined) tool.name = piece.name;
    if (piece.argsDelta !== undefined) tool.argsText += piece.argsDelta;
    if (piece.done) {
      tool.done = true;
      tool.args = piece.args;
    }
  }
}
