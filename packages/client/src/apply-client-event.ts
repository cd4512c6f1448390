import type { ChunkContent, StreamState } from '@twin/core';
import type { ClientStreamEvent } from './client-event';
import type { StreamClientMetrics, StreamSnapshot, ToolCallState } from './stream-snapshot';

// A cheap, dependency-free estimate for live tokens/s; the provider's exact count replaces it at the end.
const CHARS_PER_TOKEN = 4;

// `chunks` is the new content-event count, so a chunk's transition copies the metrics once.
function withTokens(metrics: StreamClientMetrics, chars: number, now: number, chunks = metrics.chunks): StreamClientMetrics {
  const firstTokenAt = metrics.firstTokenAt ?? now;
  const outputTokens = Math.ceil(chars / CHARS_PER_TOKEN);
  const elapsed = now - firstTokenAt;
  return {
    ...metrics,
    firstTokenAt,
    ttftMs: metrics.ttftMs ?? (metrics.startedAt === undefined ? undefined : firstTokenAt - metrics.startedAt),
    outputTokens,
    tokensEstimated: true,
    tokensPerSecond: elapsed > 0 ? (outputTokens * 1000) / elapsed : metrics.tokensPerSecond,
    chunks,
  };
}

function applyTools(calls: readonly ToolCallState[], pieces: NonNullable<ChunkContent['tools']>): ToolCallState[] {
  const next = calls.slice();
  for (const piece of pieces) {
    const i = next.findIndex((c) => c.id === piece.id);
    const prev: ToolCallState = i === -1 ? { id: piece.id, index: piece.index, name: '', argsText: '', done: false } : (next[i] as ToolCallState);
    const call: ToolCallState = {
      ...prev,
      name: piece.name ?? prev.name,
      argsText: prev.argsText + (piece.argsDelta ?? ''),
      done: piece.done ?? prev.done,
    };
    if (piece.args !== undefined) call.args = piece.args;
    if (i === -1) next.push(call);
    else next[i] = call;
  }
  return next;
}

function fromState(state: StreamState): ToolCallState[] {
  return (state.tools ?? []).map((t) => ({ done: false, ...t }));
}

/**
 * The state machine's transition: the snapshot after `event`. Pure (the clock is an argument), so
 * every transition is testable without a network.
 */
export function applyClientEvent(s: StreamSnapshot, event: ClientStreamEvent, now: number): StreamSnapshot {
  switch (event.type) {
    case 'open':
      return { ...s, status: 'streaming', reconnectAttempt: 0, error: undefined };
    case 'reconnecting':
      return {
        ...s,
        status: 'reconnecting',
        reconnectAttempt: event.attempt,
        error: event.error,
        metrics: { ...s.metrics, reconnects: s.metrics.reconnects + 1 },
      };
    case 'start':
      return { ...s, lastSeq: event.seq, streamId: event.data.streamId, provider: event.data.provider, model: event.data.model, simulated: event.data.simulated };
    case 'chunk': {
      const c = event.content;
      const text = c.text ? s.text + c.text : s.text;
      const reasoning = c.reasoning ? s.reasoning + c.reasoning : s.reasoning;
      const toolCalls = c.tools && c.tools.length > 0 ? applyTools(s.toolCalls, c.tools) : s.toolCalls;
      const metrics = withTokens(s.metrics, text.length + reasoning.length, now, s.metrics.chunks + 1);
      return { ...s, lastSeq: event.seq, text, reasoning, toolCalls, metrics };
    }
    case 'resync': {
      const { text, reasoning = '' } = event.state;
      return { ...s, lastSeq: event.seq, text, reasoning, toolCalls: fromState(event.state), metrics: withTokens(s.metrics, text.length + reasoning.length, now) };
    }
    case 'complete': {
      const d = event.data;
      const metrics: StreamClientMetrics = { ...s.metrics, endedAt: now };
      const exact = d.usage?.outputTokens;
      if (exact !== undefined) {
        metrics.outputTokens = exact;
        metrics.tokensEstimated = false;
        const elapsed = now - (metrics.firstTokenAt ?? now);
        if (elapsed > 0) metrics.tokensPerSecond = (exact * 1000) / elapsed;
      }
      return {
        ...s,
        status: 'done',
        lastSeq: event.seq,
        provider: d.provider ?? s.provider,
        model: d.model ?? s.model,
        usage: d.usage,
        cost: d.cost,
        finishReason: d.finishReason,
        error: undefined,
        reconnectAttempt: 0,
        metrics,
      };
    }
    case 'error':
      return {
        ...s,
        status: 'error',
        lastSeq: event.seq ?? s.lastSeq,
        error: event.error,
        usage: event.usage ?? s.usage,
        reconnectAttempt: 0,
        metrics: { ...s.metrics, endedAt: now },
      };
  }
}
