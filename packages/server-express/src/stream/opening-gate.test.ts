import type { StreamEvent } from '@twin/core';
import { describe, expect, it, vi } from 'vitest';
import { OpeningGate } from './opening-gate';

const start: StreamEvent = { type: 'start', data: { v: 2, seq: 0, streamId: 's', provider: 'p', model: 'm', createdAt: '' } };
const chunk = (seq: number): StreamEvent => ({ type: 'chunk', data: { v: 2, seq, text: `t${seq}` } });

describe('OpeningGate (no content before the billing record is durable)', () => {
  it('lets start through at once, holds every content event until the opening commits, then hands them over in order', async () => {
    let commit!: () => void;
    const opened: StreamEvent[][] = [];
    const gate = new OpeningGate(new Promise<void>((r) => (commit = r)), 10_000, (held) => opened.push(held), () => {});
    expect(gate.pass([start, chunk(1)])).toEqual([start]);
    expect(gate.holdingContent).toBe(true);
    expect(gate.pass([chunk(2)])).toEqual([]);
    commit();
    await Promise.resolve();
    await Promise.resolve();
    expect(opened).toEqual([[chunk(1), chunk(2)]]);
    expect(gate.holding).toBe(false);
    expect(gate.pass([chunk(3)])).toEqual([chunk(3)]);
  });

  it('gives up after its timeout (the stream is stopped); what it discarded is never sent', async () => {
    vi.useFakeTimers();
    try {
      let commit!: () => void;
      const onOpen = vi.fn();
      const onTimeout = vi.fn();
      const gate = new OpeningGate(new Promise<void>((r) => (commit = r)), 1_000, onOpen, onTimeout);
      gate.pass([start, chunk(1)]);
      vi.advanceTimersByTime(1_000);
      expect(onTimeout).toHaveBeenCalledOnce();
      expect(gate.timedOut).toBe(true);
      expect(gate.discard()).toEqual([chunk(1)]);
      commit();
      await vi.runAllTimersAsync();
      // The record landed after all: nothing discarded comes back.
      expect(onOpen).toHaveBeenCalledWith([]);
    } finally {
      vi.useRealTimers();
    }
  });
});
