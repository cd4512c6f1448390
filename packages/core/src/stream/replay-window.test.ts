import { describe, expect, it } from 'vitest';
import type { StreamEvent } from '../protocol/stream-event';
import { ReplayWindow } from './replay-window';

const chunk = (seq: number): StreamEvent => ({ type: 'chunk', data: { v: 2, seq, text: String(seq) } });

describe('ReplayWindow', () => {
  it('keeps the newest events within the count bound and answers positions it covers', () => {
    const window = new ReplayWindow(3, 1_000);
    for (let seq = 0; seq < 200; seq++) window.add(chunk(seq), seq, 10);
    expect({ count: window.count, startSeq: window.startSeq, bytes: window.bytes }).toEqual({ count: 3, startSeq: 197, bytes: 30 });
    expect(window.covers(196)).toBe(true);
    expect(window.covers(195)).toBe(false);
    expect(window.after(196, '').map((e) => e.type !== 'heartbeat' && e.data.seq)).toEqual([197, 198, 199]);
    expect(window.after(198, '').map((e) => e.type !== 'heartbeat' && e.data.seq)).toEqual([199]);
    expect(window.after(199, '')).toEqual([]);
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

  it('gives back plain text chunks equal to those added, key order included, and every other event as the same object', () => {
    const window = new ReplayWindow(100, 100_000);
    const events: StreamEvent[] = [
      { type: 'start', data: { v: 2, seq: 0, streamId: 's', provider: 'p', model: 'm', createdAt: '2026-01-01T00:00:00.000Z' } },
      chunk(1),
      { type: 'chunk', data: { v: 2, seq: 2, reasoning: 'think' } },
      { type: 'chunk', data: { v: 2, seq: 3, text: '', tools: [] } } as StreamEvent,
      { type: 'chunk', data: { v: 2, seq: 4, text: 'é "q" \\ ✓' } },
      { type: 'chunk', data: { v: 2, seq: 5, tools: [{ id: 't', index: 0, name: 'f' }] } },
    ];
    // The stream buffer says which events are plain text chunks (its text frames), and where their
    // text ends in the stream's text.
    let text = '';
    for (const event of events) {
      const data = event.type === 'heartbeat' ? undefined : (event.data as { seq: number; text?: string });
      const plain = data !== undefined && Object.keys(data).length === 3 && typeof data.text === 'string';
      if (plain) text += data.text;
      window.add(event, data?.seq ?? -1, 10, plain ? text.length : undefined);
    }
    const replayed = window.after(-1, text);
    expect(replayed).toEqual(events);
    expect(replayed.map((e) => JSON.stringify(e))).toEqual(events.map((e) => JSON.stringify(e)));
    for (const i of [0, 2, 3, 5]) expect(replayed[i]).toBe(events[i]);
    expect(window.after(3, text)).toEqual(events.slice(4));
  });

  it('slices each held text chunk from the stream text after earlier text chunks were evicted', () => {
    const window = new ReplayWindow(3, 1_000);
    let text = '';
    const events: StreamEvent[] = [];
    for (let seq = 0; seq < 10; seq++) {
      const event: StreamEvent =
        seq % 4 === 3 ? { type: 'chunk', data: { v: 2, seq, reasoning: `r${seq}` } } : { type: 'chunk', data: { v: 2, seq, text: `t${seq}✓`.repeat(seq + 1) } };
      events.push(event);
      const plain = 'text' in event.data;
      if (plain) text += (event.data as { text: string }).text;
      window.add(event, seq, 10, plain ? text.length : undefined);
    }
    expect(window.after(6, text)).toEqual(events.slice(7));
    expect(window.after(8, text)).toEqual(events.slice(9));
  });
});
