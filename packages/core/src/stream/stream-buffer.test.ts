import { describe, expect, it } from 'vitest';
import { streamConfigSchema, type StreamConfigInput } from '../protocol/stream-config';
import { streamEventDataSchemas, type StreamEvent } from '../protocol/stream-event';
import type { StreamPart } from '../protocol/stream-part';
import { createStreamBuffer, type StreamBuffer } from './stream-buffer';

const START = { streamId: 's1', provider: 'sim', model: 'm', createdAt: '2026-01-01T00:00:00.000Z' };
const text = (t: string): StreamPart => ({ type: 'text-delta', text: t });
const reasoning = (t: string): StreamPart => ({ type: 'reasoning-delta', text: t });

function started(config: StreamConfigInput = {}): StreamBuffer {
  const buffer = createStreamBuffer(streamConfigSchema.parse(config));
  buffer.start(START);
  return buffer;
}

const contents = (events: StreamEvent[]) =>
  events.map((e) => {
    if (e.type !== 'chunk') return e.type;
    const { v: _v, seq: _s, ...content } = e.data as Record<string, unknown>;
    return content;
  });

describe('StreamBuffer flush rules', () => {
  it('emits start as seq 0 and numbers every later event +1', () => {
    const buffer = createStreamBuffer(streamConfigSchema.parse({ flush: { maxParts: 1 } }));
    const events = [...buffer.start(START), ...buffer.push(text('a'), 0), ...buffer.push(text('b'), 0), ...buffer.complete({ finishReason: 'stop' })];
    expect(events.map((e) => (e.type === 'heartbeat' ? -1 : e.data.seq))).toEqual([0, 1, 2, 3]);
    expect(events.map((e) => e.type)).toEqual(['start', 'chunk', 'chunk', 'complete']);
    for (const event of events) if (event.type !== 'heartbeat') expect(streamEventDataSchemas[event.type].safeParse(event.data).success).toBe(true);
  });

  it('flushes the first content part immediately, even under backpressure', () => {
    const buffer = started();
    buffer.setBackpressure(true, 0);
    expect(contents(buffer.push(text('Hel'), 0))).toEqual([{ text: 'Hel' }]);
    expect(buffer.push(text('lo'), 0)).toEqual([]);
  });

  it('coalesces text deltas until maxParts parts are pending', () => {
    const buffer = started({ flush: { maxParts: 3, maxBytes: 1_000, maxAgeMs: 1_000 } });
    buffer.push(text('first'), 0);
    expect(buffer.push(text('a'), 1)).toEqual([]);
    expect(buffer.push(text('b'), 2)).toEqual([]);
    expect(contents(buffer.push(text('c'), 3))).toEqual([{ text: 'abc' }]);
    expect(buffer.getSnapshot().pendingParts).toBe(0);
  });

  it('flushes once maxBytes (UTF-8) are pending', () => {
    const buffer = started({ flush: { maxParts: 100, maxBytes: 8, maxAgeMs: 1_000 } });
    buffer.push(text('first'), 0);
    expect(buffer.push(text('😀'), 0)).toEqual([]); // 4 bytes
    expect(buffer.getSnapshot().pendingBytes).toBe(4);
    expect(buffer.push(text('é'), 0)).toEqual([]); // 6 bytes
    expect(contents(buffer.push(text('€'), 0))).toEqual([{ text: '😀é€' }]); // 9 bytes ≥ 8
  });

  it('flushes by age on tick, and tells when the next tick is due', () => {
    const buffer = started({ flush: { maxAgeMs: 15 } });
    buffer.push(text('first'), 100);
    expect(buffer.nextFlushAt()).toBeUndefined();
    buffer.push(text('a'), 110);
    buffer.push(text('b'), 120);
    expect(buffer.nextFlushAt()).toBe(125);
    expect(buffer.tick(124)).toEqual([]);
    expect(contents(buffer.tick(125))).toEqual([{ text: 'ab' }]);
    expect(buffer.nextFlushAt()).toBeUndefined();
  });

  it('flushes by age on push when the oldest pending part is due', () => {
    const buffer = started({ flush: { maxAgeMs: 15 } });
    buffer.push(text('first'), 0);
    buffer.push(text('a'), 10);
    expect(contents(buffer.push(text('b'), 25))).toEqual([{ text: 'ab' }]);
  });

  it('emits a part at once when no content went out for the latency budget (a sparse stream is not delayed)', () => {
    const buffer = started({ flush: { maxAgeMs: 15 } });
    buffer.push(text('first'), 0);
    // 100 ms later: nothing pending, nothing recent.
    expect(contents(buffer.push(text('a'), 100))).toEqual([{ text: 'a' }]);
    expect(contents(buffer.push(text('b'), 200))).toEqual([{ text: 'b' }]);
    // Exactly the budget after the last write still counts as quiet.
    expect(contents(buffer.push(text('c'), 215))).toEqual([{ text: 'c' }]);
    expect(buffer.nextFlushAt()).toBeUndefined();
  });

  it('coalesces parts that follow a write within the latency budget (the leading edge does not end coalescing)', () => {
    const buffer = started({ flush: { maxAgeMs: 15 } });
    buffer.push(text('first'), 0);
    expect(contents(buffer.push(text('a'), 100))).toEqual([{ text: 'a' }]);
    // 10 ms after that write: held, with the next parts, until the oldest is 15 ms old.
    expect(buffer.push(text('b'), 110)).toEqual([]);
    expect(buffer.push(text('c'), 120)).toEqual([]);
    expect(buffer.nextFlushAt()).toBe(125);
    expect(contents(buffer.tick(125))).toEqual([{ text: 'bc' }]);
    // A part 10 ms after the tick's write is held again; a second one joins it even after the budget.
    expect(buffer.push(text('d'), 135)).toEqual([]);
    expect(contents(buffer.push(text('e'), 150))).toEqual([{ text: 'de' }]);
  });

  it('keeps coalescing under backpressure even after a quiet spell', () => {
    const buffer = started({ flush: { maxAgeMs: 15, backpressureMaxAgeMs: 100 } });
    buffer.push(text('first'), 0);
    buffer.setBackpressure(true, 0);
    expect(buffer.push(text('a'), 500)).toEqual([]);
    expect(buffer.nextFlushAt()).toBe(600);
  });

  it('while backpressured ignores size and count, waits for backpressureMaxAgeMs, and flushes what is due on release', () => {
    const buffer = started({ flush: { maxParts: 2, maxBytes: 4, maxAgeMs: 10, backpressureMaxAgeMs: 100 } });
    buffer.push(text('first'), 0);
    buffer.setBackpressure(true, 0);
    for (let i = 0; i < 10; i++) expect(buffer.push(text('xxxx'), 1 + i)).toEqual([]);
    expect(buffer.getSnapshot()).toMatchObject({ backpressure: true, pendingParts: 10, pendingBytes: 40 });
    expect(buffer.nextFlushAt()).toBe(101);
    expect(contents(buffer.tick(101))).toEqual([{ text: 'xxxx'.repeat(10) }]);

    buffer.push(text('y'), 102);
    expect(buffer.setBackpressure(false, 105)).toEqual([]); // 3 ms old, normal budget is 10 ms
    expect(contents(buffer.tick(112))).toEqual([{ text: 'y' }]);
  });

  it('closes the frame when the content kind changes, so interleaved text and reasoning keep their order', () => {
    const buffer = started({ flush: { maxAgeMs: 1_000 } });
    const out = [
      ...buffer.push(reasoning('think'), 0),
      ...buffer.push(reasoning('ing'), 1),
      ...buffer.push(text('Hi'), 2),
      ...buffer.push(text(' there'), 3),
      ...buffer.push(reasoning('more'), 4),
      ...buffer.flush(),
    ];
    expect(contents(out)).toEqual([{ reasoning: 'think' }, { reasoning: 'ing' }, { text: 'Hi there' }, { reasoning: 'more' }]);
  });

  it('keeps kind order under backpressure too, emitting the closed frames together at flush time', () => {
    const buffer = started({ flush: { backpressureMaxAgeMs: 50 } });
    buffer.push(text('first'), 0);
    buffer.setBackpressure(true, 0);
    expect([...buffer.push(reasoning('r1'), 1), ...buffer.push(text('t1'), 2), ...buffer.push(text('t2'), 3), ...buffer.push(reasoning('r2'), 4)]).toEqual([]);
    expect(contents(buffer.tick(51))).toEqual([{ reasoning: 'r1' }, { text: 't1t2' }, { reasoning: 'r2' }]);
  });

  it('merges the pieces of one tool call and keeps interleaved parallel calls in order', () => {
    const buffer = started({ flush: { maxAgeMs: 1_000 } });
    buffer.push(text('Let me check.'), 0);
    const parts: StreamPart[] = [
      { type: 'tool-call-start', toolCallId: 'a', index: 0, toolName: 'weather' },
      { type: 'tool-call-delta', toolCallId: 'a', index: 0, argsTextDelta: '{"city"' },
      { type: 'tool-call-delta', toolCallId: 'a', index: 0, argsTextDelta: ':"Oslo"}' },
      { type: 'tool-call-start', toolCallId: 'b', index: 1, toolName: 'time' },
      { type: 'tool-call-delta', toolCallId: 'a', index: 0, argsTextDelta: '' },
      { type: 'tool-call', toolCallId: 'a', index: 0, toolName: 'weather', args: { city: 'Oslo' }, argsText: '{"city":"Oslo"}' },
      { type: 'tool-call', toolCallId: 'b', index: 1, toolName: 'time', args: {}, argsText: '{}' },
    ];
    for (const part of parts) expect(buffer.push(part, 1)).toEqual([]);
    expect(contents(buffer.flush())).toEqual([
      {
        tools: [
          { id: 'a', index: 0, name: 'weather', argsDelta: '{"city":"Oslo"}' },
          { id: 'b', index: 1, name: 'time' },
          { id: 'a', index: 0, name: 'weather', args: { city: 'Oslo' }, done: true },
          { id: 'b', index: 1, name: 'time', argsDelta: '{}', args: {}, done: true },
        ],
      },
    ]);
    expect(buffer.getState().tools).toEqual([
      { id: 'a', index: 0, name: 'weather', argsText: '{"city":"Oslo"}', args: { city: 'Oslo' }, done: true },
      { id: 'b', index: 1, name: 'time', argsText: '{}', args: {}, done: true },
    ]);
  });

  it('ignores empty deltas (no empty chunk, the first real part still flushes at once)', () => {
    const buffer = started();
    expect(buffer.push(text(''), 0)).toEqual([]);
    expect(contents(buffer.push(text('x'), 0))).toEqual([{ text: 'x' }]);
  });
});

describe('StreamBuffer terminal events and outcome', () => {
  it('records usage, finish and response metadata, and complete flushes pending content first', () => {
    const buffer = started({ flush: { maxAgeMs: 1_000 } });
    buffer.push({ type: 'response-metadata', id: 'r1', model: 'm-2024' }, 0);
    buffer.push(text('a'), 0);
    buffer.push(text('b'), 0);
    expect(buffer.push({ type: 'usage', usage: { inputTokens: 3, outputTokens: 2, raw: { secret: 1 } } }, 0)).toEqual([]);
    expect(buffer.push({ type: 'finish', reason: 'stop', rawReason: 'end_turn' }, 0)).toEqual([]);
    expect(buffer.getOutcome()).toMatchObject({ usage: { inputTokens: 3 }, finishReason: 'stop', rawFinishReason: 'end_turn', model: 'm-2024', responseId: 'r1' });
    const out = buffer.complete({ finishReason: 'stop' });
    expect(contents(out)).toEqual([{ text: 'b' }, 'complete']);
    expect(buffer.getSnapshot().closed).toBe(true);
    expect(buffer.push(text('late'), 1)).toEqual([]);
    expect(buffer.complete({ finishReason: 'stop' })).toEqual([]);
  });

  it('ends with an error event on an error part, after flushing pending content, without the raw usage', () => {
    const buffer = started({ flush: { maxAgeMs: 1_000 } });
    buffer.push(text('a'), 0);
    buffer.push(text('b'), 0);
    const out = buffer.push(
      { type: 'error', error: { code: 'provider_overloaded', message: 'busy', retryable: true, provider: 'sim' }, usage: { inputTokens: 5, raw: { x: 1 } } },
      0,
    );
    expect(contents(out)).toEqual([{ text: 'b' }, 'error']);
    expect(out[1]).toEqual({
      type: 'error',
      data: { v: 2, seq: 3, code: 'provider_overloaded', message: 'busy', retryable: true, provider: 'sim', usage: { inputTokens: 5 } },
    });
    expect(buffer.getOutcome().error?.code).toBe('provider_overloaded');
  });
});

describe('StreamBuffer overflow policy', () => {
  it("with overflow 'error' flushes what is pending, then ends with buffer_overflow: nothing is silently dropped", () => {
    const buffer = started({ flush: { backpressureMaxAgeMs: 10_000 }, buffer: { maxPendingBytes: 100, overflow: 'error' } });
    buffer.push(text('first'), 0);
    buffer.setBackpressure(true, 0);
    let out: StreamEvent[] = [];
    for (let i = 0; i < 10 && out.length === 0; i++) out = buffer.push(text('x'.repeat(30)), i);
    expect(contents(out)).toEqual([{ text: 'x'.repeat(120) }, 'error']);
    expect(out[1]?.type === 'error' && out[1].data.code).toBe('buffer_overflow');
    expect(buffer.getSnapshot()).toMatchObject({ overflowed: true, closed: true, pendingBytes: 0 });
    expect(buffer.getState().text).toBe('first' + 'x'.repeat(120));
  });

  it("with overflow 'coalesce' keeps merging past the limit and errors only at twice the limit", () => {
    const buffer = started({ flush: { backpressureMaxAgeMs: 10_000 }, buffer: { maxPendingBytes: 100, overflow: 'coalesce' } });
    buffer.push(text('first'), 0);
    buffer.setBackpressure(true, 0);
    for (let i = 0; i < 6; i++) expect(buffer.push(text('x'.repeat(30)), i)).toEqual([]); // 180 bytes > 100, ≤ 200
    expect(buffer.getSnapshot()).toMatchObject({ overflowed: false, pendingBytes: 180 });
    const out = buffer.push(text('x'.repeat(30)), 7);
    expect(contents(out)).toEqual([{ text: 'x'.repeat(210) }, 'error']);
    expect(buffer.getSnapshot().overflowed).toBe(true);
  });

  it('does not overflow when the writer drains: size flushes keep pending memory small', () => {
    const buffer = started({ flush: { maxBytes: 64 }, buffer: { maxPendingBytes: 100, overflow: 'error' } });
    for (let i = 0; i < 1_000; i++) buffer.push(text('x'.repeat(30)), i);
    expect(buffer.getSnapshot()).toMatchObject({ overflowed: false, closed: false });
  });
});
