import { describe, expect, it } from 'vitest';
import { TwinError } from '../errors/twin-error';
import { streamEventDataSchemas, type StreamEvent } from '../protocol/stream-event';
import { createConnectionWriter } from './connection-writer';
import { createStreamSession } from './stream-session';

function clock(start = 1_000) {
  let t = start;
  return { now: () => t, set: (v: number) => (t = v) };
}

const types = (events: readonly StreamEvent[]) => events.map((e) => e.type);

describe('StreamSession', () => {
  it('runs a stream start to complete and meters bytes, events, time to first token, text and tokens/s', () => {
    const time = clock(1_000);
    const session = createStreamSession({ streamId: 's1', provider: 'sim', model: 'sim-1', now: time.now, createdAt: new Date('2026-01-01T00:00:00Z') });
    const writer = createConnectionWriter({ streamId: 's1', onWrite: session.recordWrite });
    let wire = writer.write(session.start());
    expect(session.getSnapshot().status).toBe('open');

    wire += writer.write(session.push({ type: 'response-metadata', model: 'sim-1-2026' }, 1_050));
    wire += writer.write(session.push({ type: 'text-delta', text: 'Hello' }, 1_200)); // first token: flushed at once
    expect(session.getSnapshot().status).toBe('streaming');
    wire += writer.write(session.push({ type: 'text-delta', text: ', wörld' }, 1_205));
    wire += writer.write(session.tick(1_300));
    wire += writer.write(session.push({ type: 'usage', usage: { inputTokens: 10, outputTokens: 50, raw: { provider: 'x' } } }, 1_400));
    wire += writer.write(session.push({ type: 'finish', reason: 'stop', rawReason: 'end_turn' }, 1_400));
    const bytesBeforeComplete = new TextEncoder().encode(wire).length;
    const end = session.finish({ cost: { currency: 'USD', total: '0.01', estimated: false } }, 2_200);
    expect(types(end)).toEqual(['complete']);
    expect(end[0]).toEqual({
      type: 'complete',
      data: {
        v: 2,
        seq: 3,
        finishReason: 'stop',
        rawFinishReason: 'end_turn',
        provider: 'sim',
        model: 'sim-1-2026',
        usage: { inputTokens: 10, outputTokens: 50 },
        cost: { currency: 'USD', total: '0.01', estimated: false },
        metrics: { ttftMs: 200, durationMs: 1_200, bytes: bytesBeforeComplete, events: 3 },
      },
    });
    expect(streamEventDataSchemas.complete.safeParse(end[0]!.type === 'complete' && end[0]!.data).success).toBe(true);
    wire += writer.write(end);

    const snapshot = session.getSnapshot();
    expect(snapshot.status).toBe('completed');
    expect(snapshot.state).toEqual({ text: 'Hello, wörld' });
    expect(snapshot.metrics).toEqual({
      streamId: 's1',
      startedAt: 1_000,
      firstTokenAt: 1_200,
      endedAt: 2_200,
      ttftMs: 200,
      durationMs: 1_200,
      bytesSent: new TextEncoder().encode(wire).length,
      eventsSent: 4,
      contentParts: 2,
      textChars: 12,
      outputTokens: 50,
      tokensPerSecond: 50, // 50 tokens from first token (1200) to end (2200)
      reconnects: 0,
      backpressureEvents: 0,
      errors: 0,
    });
    expect(session.finish({}, 3_000)).toEqual([]);
  });

  it('returns the same snapshot object until something changes', () => {
    const time = clock();
    const session = createStreamSession({ streamId: 's', provider: 'p', model: 'm', now: time.now });
    session.start();
    const first = session.getSnapshot();
    time.set(5_000);
    expect(session.getSnapshot()).toBe(first);
    session.push({ type: 'text-delta', text: 'a' }, 5_000);
    const second = session.getSnapshot();
    expect(second).not.toBe(first);
    expect(second.state.text).toBe('a');
    session.recordWrite(10, 1);
    expect(session.getSnapshot().metrics.bytesSent).toBe(10);
  });

  it('meters writes through the noteWrite method with no per-session closure until recordWrite is taken', () => {
    const now = () => 0;
    const session = createStreamSession({ streamId: 's', provider: 'p', model: 'm', now });
    session.start();
    session.noteWrite(7, 1);
    session.noteWrite(3);
    // The per-event path loads no function object of its own: the only callable the session holds is its clock.
    expect(Object.values(session).filter((value) => typeof value === 'function')).toEqual([now]);
    const onWrite = session.recordWrite;
    expect(session.recordWrite).toBe(onWrite);
    onWrite(10, 2); // unbound, as `onWrite: session.recordWrite`
    onWrite(5);
    const { bytesSent, eventsSent } = session.getSnapshot().metrics;
    expect([bytesSent, eventsSent]).toEqual([25, 3]);
  });

  it('tells subscribers every batch of emitted events, in order, until they unsubscribe', () => {
    const session = createStreamSession({ streamId: 's', provider: 'p', model: 'm', now: () => 0 });
    const seen: string[][] = [];
    const unsubscribe = session.subscribe((events) => seen.push(types(events)));
    session.start();
    session.push({ type: 'text-delta', text: 'a' }, 0);
    session.push({ type: 'text-delta', text: 'b' }, 1); // buffered: no call
    unsubscribe();
    session.finish({}, 2);
    expect(seen).toEqual([['start'], ['chunk']]);
  });

  it('ends with an error event carrying the usage so far, and the status says whether it was an abort', () => {
    const failed = createStreamSession({ streamId: 's', provider: 'p', model: 'm', now: () => 0 });
    failed.start();
    failed.push({ type: 'text-delta', text: 'partial' }, 1);
    const events = failed.finish({ error: new TwinError('provider_timeout', 'no answer', { provider: 'p' }), usage: { outputTokens: 2, estimated: true } }, 5);
    expect(events).toEqual([
      { type: 'error', data: { v: 2, seq: 2, code: 'provider_timeout', message: 'no answer', retryable: true, provider: 'p', usage: { outputTokens: 2, estimated: true } } },
    ]);
    expect(failed.getSnapshot()).toMatchObject({ status: 'error', error: { code: 'provider_timeout' }, metrics: { errors: 1, endedAt: 5 } });

    const aborted = createStreamSession({ streamId: 's', provider: 'p', model: 'm', now: () => 0 });
    aborted.start();
    aborted.finish({ error: { code: 'aborted', message: 'client left', retryable: false } }, 3);
    expect(aborted.getSnapshot().status).toBe('aborted');
  });

  it('ends on an error part by itself; finish afterwards adds nothing', () => {
    const session = createStreamSession({ streamId: 's', provider: 'p', model: 'm', now: () => 0 });
    session.start();
    const events = session.push({ type: 'error', error: { code: 'provider_overloaded', message: 'busy', retryable: true } }, 7);
    expect(types(events)).toEqual(['error']);
    expect(session.finish({}, 9)).toEqual([]);
    expect(session.getSnapshot()).toMatchObject({ status: 'error', metrics: { endedAt: 7, errors: 1 } });
  });

  it('counts backpressure episodes and reconnects, and replays from the buffer', () => {
    const session = createStreamSession({ streamId: 's', provider: 'p', model: 'm', now: () => 0, config: { flush: { maxParts: 1 } } });
    const all = [...session.start(), ...session.push({ type: 'text-delta', text: 'a' }, 0), ...session.push({ type: 'text-delta', text: 'b' }, 0)];
    session.setBackpressure(true, 0);
    session.setBackpressure(true, 1);
    session.setBackpressure(false, 2);
    session.setBackpressure(true, 3);
    expect(session.replayFrom(0)).toEqual(all.slice(1));
    expect(session.getSnapshot().metrics).toMatchObject({ backpressureEvents: 2, reconnects: 1 });
  });

  it('defaults the finish reason to other when the provider gave none, never inventing usage', () => {
    const session = createStreamSession({ streamId: 's', provider: 'p', model: 'm', now: () => 0 });
    session.start();
    const [complete] = session.finish({}, 1);
    expect(complete?.type === 'complete' && complete.data).toMatchObject({ finishReason: 'other', usage: undefined });
    expect(session.getSnapshot().metrics.outputTokens).toBeUndefined();
  });
});
