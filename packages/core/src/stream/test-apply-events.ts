import type { StreamEvent, StreamState, ToolCallChunk } from '../protocol/stream-event';

/**
 * Test helper: folds received events into a {@link StreamState} the way a client does (chunks append,
 * a resync replaces). Used to check that every resume point rebuilds exactly the server's state.
 */
export function applyEvents(initial: StreamState, events: readonly StreamEvent[]): StreamState {
  let state: StreamState = cloneState(initial);
  for (const event of events) {
    if (event.type === 'resync') {
      const { v: _v, seq: _seq, reason: _reason, ...rest } = event.data as StreamState & { v: number; seq: number; reason: string };
      state = cloneState(rest);
    } else if (event.type === 'chunk') {
      const data = event.data as { text?: string; reasoning?: string; tools?: ToolCallChunk[] };
      if (data.text !== undefined) state.text += data.text;
      if (data.reasoning !== undefined) state.reasoning = (state.reasoning ?? '') + data.reasoning;
      for (const piece of data.tools ?? []) {
        state.tools ??= [];
        let tool = state.tools.find((t) => t.id === piece.id);
        if (tool === undefined) {
          tool = { id: piece.id, index: piece.index, name: '', argsText: '' };
          state.tools.push(tool);
        }
        if (piece.name !== undefined) tool.name = piece.name;
        if (piece.argsDelta !== undefined) tool.argsText += piece.argsDelta;
        if (piece.done) {
          tool.args = piece.args;
          tool.done = true;
        }
      }
    }
  }
  return state;
}

export function cloneState(state: StreamState): StreamState {
  const copy: StreamState = { text: state.text };
  if (state.reasoning !== undefined) copy.reasoning = state.reasoning;
  if (state.tools !== undefined) copy.tools = state.tools.map((t) => ({ ...t }));
  return copy;
}
