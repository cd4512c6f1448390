import { describe, expect, it } from 'vitest';
import { TickScheduler, type Tickable } from './tick-scheduler';

function recorder(): Tickable & { ticks: number[] } {
  const ticks: number[] = [];
  return { ticks, onTick: (now) => ticks.push(now) };
}

describe('TickScheduler', () => {
  it('wakes every item once, not before its due time, with one timer for many items', async () => {
    const scheduler = new TickScheduler(5);
    const start = Date.now();
    const items = Array.from({ length: 100 }, () => recorder());
    items.forEach((item, i) => scheduler.schedule(item, start + 10 + (i % 3) * 10));
    await new Promise((r) => setTimeout(r, 80));
    items.forEach((item, i) => {
      expect(item.ticks).toHaveLength(1);
      expect(item.ticks[0]).toBeGreaterThanOrEqual(start + 10 + (i % 3) * 10);
    });
    expect(scheduler.pending).toBe(0);
  });

  it('re-arms for an earlier item and lets an item schedule again from its wake-up', async () => {
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
    await new Promise((r) => setTimeout(r, 40));
    expect(again).toBe(3);
    expect(late.ticks).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 50));
    expect(late.ticks).toHaveLength(1);
  });

  it('clear() drops pending wake-ups', async () => {
    const scheduler = new TickScheduler(5);
    const item = recorder();
    scheduler.schedule(item, Date.now() + 5);
    scheduler.clear();
    await new Promise((r) => setTimeout(r, 30));
    expect(item.ticks).toHaveLength(0);
  });
});
