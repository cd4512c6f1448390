import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { streamConfigSchema, type StreamConfigInput } from '../protocol/stream-config';
import type { StreamEvent } from '../protocol/stream-event';
import type { StreamPart } from '../protocol/stream-part';
import { createStreamBuffer } from './stream-buffer';
import { applyEvents } from './test-apply-events';

const START = { streamId: 's1', provider: 'sim', model: 'm', createdAt: '2026-01-01T00:00:00.000Z' };
const seqOf = (e: StreamEvent) => (e.type === 'heartbeat' ? -1 : e.data.seq);

type Step = { kind: 'part'; part: StreamPart; dt: number } | { kind: 'tick'; dt: number } | { kind: 'bp'; on: boolean };

/** Well-formed provider streams: interleaved text, reasoning and tool calls whose final argsText matches the deltas. */
const steps: fc.Arbitrary<Step[]> = fc
  .array(
    fc.oneof(
      fc.record({ kind: fc.constant('part' as const), part: fc.string({ unit: 'binary', maxLength: 8 }).map((t): StreamPart => ({ type: 'text-delta', text: t })), dt: fc.nat(30) }),
      fc.record({ kind: fc.constant('part' as const), part: fc.string({ maxLength: 6 }).map((t): StreamPart => ({ type: 'reasoning-delta', text: t })), dt: fc.nat(30) }),
      fc.record({ kind: fc.constant('tool' as const), id: fc.constantFrom('a', 'b', 'c'), pieces: fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }), dt: fc.nat(30) }),
      fc.record({ kind: fc.constant('tick' as const), dt: fc.nat(300) }),
      fc.record({ kind: fc.constant('bp' as const), on: fc.boolean() }),
    ),
    { maxLength: 60 },
  )
  .map((raw) => {
    const out: Step[] = [];
    const done = new Set<string>();
    let index = 0;
    for (const step of raw) {
      if (step.kind !== 'tool') {
        out.push(step);
        continue;
      }
      const id = `${step.id}${index}`;
      if (done.has(id)) continue;
      done.add(id);
      out.push({ kind: 'part', part: { type: 'tool-call-start', toolCallId: id, index, toolName: `fn_${step.id}` }, dt: step.dt });
      for (const piece of step.pieces) out.push({ kind: 'part', part: { type: 'tool-call-delta', toolCallId: id, index, argsTextDelta: piece }, dt: 1 });
      const argsText = step.pieces.join('');
      out.push({ kind: 'part', part: { type: 'tool-call', toolCallId: id, index, toolName: `fn_${step.id}`, args: { argsText }, argsText }, dt: 1 });
      index++;
    }
    return out;
  });

const configs = fc.record({
  flush: fc.record({ maxBytes: fc.integer({ min: 1, max: 64 }), maxParts: fc.integer({ min: 1, max: 8 }), maxAgeMs: fc.nat(40), backpressureMaxAgeMs: fc.nat(200) }),
  buffer: fc.record({
    maxPendingBytes: fc.integer({ min: 16, max: 4_096 }),
    overflow: fc.constantFrom('error' as const, 'coalesce' as const),
    replayWindowEvents: fc.nat(12),
    replayWindowBytes: fc.integer({ min: 0, max: 2_000 }),
  }),
});

function run(config: StreamConfigInput, plan: Step[], end: 'complete' | 'error' | 'open') {
  const buffer = createStreamBuffer(streamConfigSchema.parse(config));
  const events: StreamEvent[] = [...buffer.start(START)];
  let now = 0;
  for (const step of plan) {
    if (step.kind === 'bp') events.push(...buffer.setBackpressure(step.on, now));
    else {
      now += step.dt;
      events.push(...(step.kind === 'tick' ? buffer.tick(now) : buffer.push(step.part, now)));
    }
  }
  if (end === 'complete') events.push(...buffer.complete({ finishReason: 'stop' }));
  if (end === 'error') events.push(...buffer.fail({ code: 'aborted', message: 'client went away', retryable: false }));
  if (end === 'open') events.push(...buffer.flush());
  return { buffer, events };
}

describe('StreamBuffer replay (Last-Event-ID resume)', () => {
  it('numbers events 0, 1, 2... and loses no content: folding all events gives the full state', () => {
    fc.assert(
      fc.property(configs, steps, fc.constantFrom('complete' as const, 'error' as const, 'open' as const), (config, plan, end) => {
        const { buffer, events } = run(config, plan, end);
        expect(events.map(seqOf)).toEqual(events.map((_, i) => i));
        expect(applyEvents({ text: '' }, events)).toEqual(buffer.getState());
      }),
      { numRuns: 300 },
    );
  }, 60_000);

  it('answers every resume point with exactly the missed events (none twice), or a resync that rebuilds the same state', () => {
    fc.assert(
      fc.property(configs, steps, fc.constantFrom('complete' as const, 'error' as const, 'open' as const), (config, plan, end) => {
        const { buffer, events } = run(config, plan, end);
        const snapshot = buffer.getSnapshot();
        // An overflow can end an 'open' run with an error event too.
        const closed = buffer.isClosed;
        for (let n = -1; n < events.length; n++) {
          const seen = events.slice(0, n + 1);
          const answer = buffer.replayFrom(n);
          const inWindow = n + 1 >= snapshot.windowStartSeq;
          const lastIsTerminal = closed && n === events.length - 2;
          if (inWindow || lastIsTerminal || n === events.length - 1) {
            expect(answer).toEqual(events.slice(n + 1));
          } else {
            expect(answer[0]?.type).toBe('resync');
            expect(answer.slice(1)).toEqual(closed ? events.slice(-1) : []);
          }
          // Whatever the answer, the client ends with the server's state and the next seq follows on.
          expect(applyEvents(applyEvents({ text: '' }, seen), answer)).toEqual(buffer.getState());
          const seqs = answer.map(seqOf);
          if (seqs.length > 0) expect(seqs.at(-1)).toBe(events.length - 1);
          for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe(seqs[i - 1]! + 1);
          if (answer[0]?.type !== 'resync' && seqs.length > 0) expect(seqs[0]).toBe(n + 1);
        }
      }),
      { numRuns: 300 },
    );
  }, 60_000);

  it('answers a position that left the window with a resync carrying the full state at the last position', () => {
    const buffer = createStreamBuffer(streamConfigSchema.parse({ flush: { maxParts: 1 }, buffer: { replayWindowEvents: 2 } }));
    buffer.start(START);
    for (const t of ['a', 'b', 'c', 'd']) buffer.push({ type: 'text-delta', text: t }, 0);
    buffer.push({ type: 'reasoning-delta', text: 'r' }, 0);
    expect(buffer.getSnapshot()).toMatchObject({ lastSeq: 5, windowStartSeq: 4, windowEvents: 2 });
    expect(buffer.replayFrom(3).map(seqOf)).toEqual([4, 5]);
    expect(buffer.replayFrom(2)).toEqual([{ type: 'resync', data: { v: 2, seq: 5, reason: 'out_of_window', text: 'abcd', reasoning: 'r' } }]);
    expect(buffer.replayFrom(99)[0]).toMatchObject({ type: 'resync', data: { seq: 5, reason: 'unknown_position' } });
    expect(() => buffer.replayFrom(-2)).toThrow(/Last-Event-ID/);
  });

  it('keeps the window within its byte bound', () => {
    const buffer = createStreamBuffer(streamConfigSchema.parse({ flush: { maxParts: 1 }, buffer: { replayWindowBytes: 500 } }));
    buffer.start(START);
    for (let i = 0; i < 100; i++) buffer.push({ type: 'text-delta', text: 'x'.repeat(50) }, 0);
    const snapshot = buffer.getSnapshot();
    expect(snapshot.windowBytes).toBeLessThanOrEqual(500);
    expect(snapshot.windowEvents).toBeGreaterThan(0);
    expect(snapshot.windowStartSeq).toBe(snapshot.lastSeq - snapshot.windowEvents + 1);
  });
});
