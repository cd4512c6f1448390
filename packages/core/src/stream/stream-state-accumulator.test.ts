import { describe, expect, it } from 'vitest';
import { StreamStateAccumulator } from './stream-state-accumulator';

describe('StreamStateAccumulator', () => {
  it('returns the args text a client has not seen as deltas when a call completes', () => {
    const state = new StreamStateAccumulator();
    state.toolStart('a', 0, 'f');
    state.toolDelta('a', 0, '{"x":');
    expect(state.toolDone('a', 0, 'f', { x: 1 }, '{"x":1}')).toBe('1}');
    expect(state.toolDone('b', 1, 'g', {}, '{}')).toBe('{}'); // sent in one piece
    state.toolDelta('c', 2, '{"y":2}');
    expect(state.toolDone('c', 2, 'h', { y: 2 }, '{"y":2}')).toBeUndefined(); // nothing missing
    state.toolDelta('d', 3, 'garbled');
    expect(state.toolDone('d', 3, 'k', {}, '{}')).toBeUndefined(); // not an extension: args are authoritative
    expect(state.snapshot().tools?.map((t) => t.argsText)).toEqual(['{"x":1}', '{}', '{"y":2}', '{}']);
  });

  it('hands out snapshots that later deltas do not change, and keeps reasoning absent until there is some', () => {
    const state = new StreamStateAccumulator();
    state.appendText('a');
    const before = state.snapshot();
    state.appendText('b');
    state.appendReasoning('r');
    expect(before).toEqual({ text: 'a' });
    expect(state.snapshot()).toEqual({ text: 'ab', reasoning: 'r' });
  });

  it('keeps the whole text however many deltas arrive, read at any point (deltas are joined 16 at a time, pieces merged 16 at a time)', () => {
    const state = new StreamStateAccumulator();
    let expected = '';
    for (let i = 0; i < 500; i++) {
      const delta = i % 7 === 0 ? 'é✓ ' : `w${i} `;
      state.appendText(delta);
      expected += delta;
      if (i % 97 === 0 || i === 15 || i === 16 || i === 255 || i === 256) expect(state.text).toBe(expected);
    }
    expect(state.snapshot().text).toBe(expected);
  });

  it('keeps the text in order across merges of every size, with reads in between (a read joins the pieces, later deltas merge after it)', () => {
    const state = new StreamStateAccumulator();
    const parts: string[] = [];
    // 16 × 16 × 16 joins of 16 deltas: three sizes of merge; reads at awkward points in between.
    const reads = new Set([1, 17, 255, 256, 257, 4_095, 4_096, 4_100, 20_000, 65_535, 65_536, 70_001]);
    for (let i = 1; i <= 70_001; i++) {
      const delta = i % 11 === 0 ? 'é✓' : String(i % 10);
      state.appendText(delta);
      parts.push(delta);
      if (reads.has(i)) expect(state.text).toBe(parts.join(''));
    }
    expect(state.snapshot().text).toBe(parts.join(''));
  });
});
