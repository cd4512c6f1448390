import type { CompleteEventData, StreamEvent, ToolCallChunk } from '../protocol/stream-event';

/** Builds a Twin event sequence for the compat tests, numbering `seq` as the stream buffer does. */
export function twinEvents() {
  let seq = 0;
  const events: StreamEvent[] = [];
  const api = {
    events,
    start() {
      events.push({ type: 'start', data: { v: 1, seq: seq++, streamId: 'str_1', provider: 'simulated', model: 'sim-1', createdAt: '2026-01-01T00:00:00.000Z' } });
      return api;
    },
    text(text: string) {
      events.push({ type: 'chunk', data: { v: 1, seq: seq++, text } });
      return api;
    },
    reasoning(reasoning: string) {
      events.push({ type: 'chunk', data: { v: 1, seq: seq++, reasoning } });
      return api;
    },
    tools(tools: ToolCallChunk[]) {
      events.push({ type: 'chunk', data: { v: 1, seq: seq++, tools } });
      return api;
    },
    complete(fields: Partial<Omit<CompleteEventData, 'v' | 'seq'>> = {}) {
      events.push({ type: 'complete', data: { v: 1, seq: seq++, finishReason: 'stop', ...fields } });
      return api;
    },
    error(code: string, message: string) {
      events.push({ type: 'error', data: { v: 1, seq: seq++, code, message, retryable: false } });
      return api;
    },
  };
  return api;
}

/** The JSON `data` of each SSE message in `text` (skipping comments), with its event name. */
export function sseMessages(text: string): Array<{ event?: string; data: string }> {
  const out: Array<{ event?: string; data: string }> = [];
  for (const block of text.split('\n\n')) {
    if (block.trim() === '' || block.startsWith(':')) continue;
    let event: string | undefined;
    let data = '';
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data += line.slice(6);
    }
    out.push({ ...(event ? { event } : {}), data });
  }
  return out;
}
