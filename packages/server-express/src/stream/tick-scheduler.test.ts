import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TickScheduler, type Tickable } from './tick-scheduler';

// Fake timers and Date: the assertions hold however loaded the machine is.
beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

function recorder(log?: string[], name = ''): Tickable & { ticks: number[] } {
  const ticks: number[] = [];
  return {
    ticks,
    onTick: (now) => {
      ticks.push(now);
      log?.push(name);
    },
  };
}

describe('TickScheduler', () => {
  it('wakes every item once, not before its due time, with one timer for many items', () => {
    const scheduler = new TickScheduler(5);
    const start = Date.now();
    const items = Array.from({ length: 100 }, () => recorder());
    items.forEach((item, i) => scheduler.schedule(item, start + 10 + (i % 3) * 10));
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(9);
    expect(items.every((item) => item.ticks.length === 0)).toBe(true);
    vi.advanceTimersByTime(80);
    items.forEach((item, i) => {
      expect(item.ticks).toHaveLength(1);
      expect(item.ticks[0]).toBeGreaterThanOrEqual(start + 10 + (i % 3) * 10);
    });
    expect(scheduler.pending).toBe(0);
  });

  it('wakes slots in due-time order after an event-loop stall made several due at once', () => {
    const scheduler = new TickScheduler(5);
    const log: string[] = [];
    const start = Date.now();
    scheduler.schedule(recorder(log, '30'), start + 30);
    scheduler.schedule(recorder(log, '10'), start + 10);
    scheduler.schedule(recorder(log, '20'), start + 20);
    vi.setSystemTime(start + 50);
    vi.advanceTimersByTime(10);
    expect(log).toEqual(['10', '20', '30']);
  });

  it('re-arms for an earlier item and lets an item schedule again from its wake-up', () => {
    const scheduler = new TickScheduler(5);
    const late = recorder();
    const start = Date.now();
    scheduler.schedule(late, start + 60);
    let again = 0;
    const chained: Tickable = {
      onTick(now) {
        again++;
        if (again < 3) scheduler.schedule(chained, now + 5);
      },
    };
    scheduler.schedule(chained, start + 5);
    vi.advanceTimersByTime(40);
    expect(again).toBe(3);
    expect(late.ticks).toHaveLength(0);
    vi.advanceTimersByTime(50);
    expect(late.ticks).toHaveLength(1);
  });

  it('clear() drops pending wake-ups', () => {
    const scheduler = new TickScheduler(5);
    const item = recorder();
    scheduler.schedule(item, Date.now() + 5);
    scheduler.clear();
    vi.advanceTimersByTime(30);
    expect(item.ticks).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});
