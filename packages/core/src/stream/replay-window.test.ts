import { describe, expect, it } from 'vitest';
import type { StreamEvent } from '../protocol/stream-event';
import { ReplayWindow } from './replay-window';

const chunk = (seq: number): StreamEvent => ({ type: 'chunk', data: { v: 1, seq, text: String(seq) } });

describe('ReplayWindow', () => {
  it('keeps the newest events within the count bound and answers positions it covers', () => {
    const window = new ReplayWindow(3, 1_000);
    for (let seq = 0; seq < 200; seq++) window.add(chunk(seq), seq, 10);
    expect({ count: window.count, startSeq: window.startSeq, bytes: window.bytes }).toEqual({ count: 3, startSeq: 197, bytes: 30 });
    expect(window.covers(196)).toBe(true);
    expect(window.covers(195)).toBe(false);
    expect(window.after(196).map((e) => e.type !== 'heartbeat' && e.data.seq)).toEqual([197, 198, 199]);
    expect(window.after(198).map((e) => e.type !== 'heartbeat' && e.data.seq)).toEqual([199]);
    expect(window.after(199)).toEqual([]);
  });

  it('evicts by bytes, and an event larger than the bound leaves the window empty but positioned after it', () => {
    const window = new ReplayWindow(100, 25);
    window.add(chunk(0), 0, 10);
    window.add(chunk(1), 1, 10);
    window.add(chunk(2), 2, 10);
    expect({ count: window.count, startSeq: window.startSeq }).toEqual({ count: 2, startSeq: 1 });
    window.add(chunk(3), 3, 50);
    expect({ count: window.count, startSeq: window.startSeq, bytes: window.bytes }).toEqual({ count: 0, startSeq: 4, bytes: 0 });
    expect(window.covers(3)).toBe(true);
    expect(window.covers(2)).toBe(false);
  });
});
