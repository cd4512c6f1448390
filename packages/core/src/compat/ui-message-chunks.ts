import type { StreamEvent } from '../protocol/stream-event';

/**
 * One chunk of the AI SDK's UI message stream (the `data:` JSON its `useChat` reads), as this
 * translator writes them: `start`, `start-step`, `text-*`, `reasoning-*`, `tool-input-*`,
 * `finish-step`, `finish`, `error`.
 */
export type UIMessageChunk = { type: string } & Record<string, unknown>;

/** What the `start` and `finish` chunks put in the message's `metadata` (Twin's numbers, from the server). */
export interface TwinMessageMetadata {
  streamId?: string;
  provider?: string;
  model?: string;
  simulated?: boolean;
  finishReason?: string;
  usage?: Record<string, unknown>;
  cost?: Record<string, unknown>;
}

// AI SDK finish reasons; Twin's `aborted` and `truncated` are reported as `other`.
const FINISH_REASONS = new Set(['stop', 'length', 'content-filter', 'tool-calls', 'error', 'other']);

/**
 * Translates one connection's Twin events into UI message stream chunks. Stateful (which text or
 * reasoning block is open, tool names by call id), so keep one per connection. A connection that
 * resumes from the start replays every event, which the AI SDK's resume expects.
 */
export class UIMessageChunker {
  private open: 'text' | 'reasoning' | undefined;
  private block = 0;
  private readonly toolNames = new Map<string, string>();
  private readonly inputDone = new Set<string>();
  /** The stream ended (`finish` or `error` was written): `data: [DONE]` follows. */
  done = false;

  /** Chunks for one event (none for a heartbeat). */
  push(event: StreamEvent): UIMessageChunk[] {
    const out: UIMessageChunk[] = [];
    switch (event.type) {
      case 'start': {
        const d = event.data;
        const metadata: TwinMessageMetadata = { streamId: d.streamId, provider: d.provider, model: d.model, ...(d.simulated ? { simulated: true } : {}) };
        out.push({ type: 'start', messageMetadata: metadata }, { type: 'start-step' });
        break;
      }
      case 'chunk': {
        if ('codec' in event.data) break; // sealed content is not offered on this door
        const { text, reasoning, tools } = event.data;
        if (reasoning) this.delta('reasoning', reasoning, out);
        if (text) this.delta('text', text, out);
        for (const piece of tools ?? []) this.tool(piece, out);
        break;
      }
      case 'resync': {
        // The full state so far: written as if it streamed now (the client rebuilds the message).
        if ('codec' in event.data) break;
        const { text, reasoning, tools } = event.data;
        if (reasoning) this.delta('reasoning', reasoning, out);
        if (text) this.delta('text', text, out);
        for (const t of tools ?? []) this.tool({ id: t.id, name: t.name, argsDelta: t.argsText, args: t.args, done: t.done }, out);
        break;
      }
      case 'complete': {
        const d = event.data;
        this.close(out);
        const metadata: TwinMessageMetadata = {
          finishReason: d.finishReason,
          ...(d.provider ? { provider: d.provider } : {}),
          ...(d.model ? { model: d.model } : {}),
          ...(d.usage ? { usage: d.usage } : {}),
          ...(d.cost ? { cost: d.cost } : {}),
        };
        const finishReason = FINISH_REASONS.has(d.finishReason) ? d.finishReason : 'other';
        out.push({ type: 'finish-step' }, { type: 'finish', finishReason, messageMetadata: metadata });
        this.done = true;
        break;
      }
      case 'error':
        this.close(out);
        out.push({ type: 'error', errorText: `${event.data.code}: ${event.data.message}` });
        this.done = true;
        break;
      default:
        break;
    }
    return out;
  }

  private delta(kind: 'text' | 'reasoning', delta: string, out: UIMessageChunk[]): void {
    if (this.open !== kind) {
      this.close(out);
      this.open = kind;
      this.block++;
      out.push({ type: `${kind}-start`, id: this.id() });
    }
    out.push({ type: `${kind}-delta`, id: this.id(), delta });
  }

  private close(out: UIMessageChunk[]): void {
    if (this.open) out.push({ type: `${this.open}-end`, id: this.id() });
    this.open = undefined;
  }

  private id(): string {
    return `${this.open === 'reasoning' ? 'r' : 't'}${this.block}`;
  }

  private tool(piece: { id: string; name?: string; argsDelta?: string; args?: unknown; done?: boolean }, out: UIMessageChunk[]): void {
    if (this.inputDone.has(piece.id)) return;
    this.close(out);
    if (!this.toolNames.has(piece.id)) {
      this.toolNames.set(piece.id, piece.name ?? 'tool');
      out.push({ type: 'tool-input-start', toolCallId: piece.id, toolName: piece.name ?? 'tool' });
    }
    if (piece.argsDelta) out.push({ type: 'tool-input-delta', toolCallId: piece.id, inputTextDelta: piece.argsDelta });
    if (piece.done) {
      this.inputDone.add(piece.id);
      out.push({ type: 'tool-input-available', toolCallId: piece.id, toolName: this.toolNames.get(piece.id)!, input: piece.args ?? {} });
    }
  }
}
