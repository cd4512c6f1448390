import { describe, expect, it } from 'vitest';
import { createSlotSleep } from './slot-sleep';

describe('createSlotSleep', () => {
  it('resolves every sleeper no earlier than asked, in order of due time', async () => {
    const sleep = createSlotSleep(5);
    const start = Date.now();
    const order: number[] = [];
    await Promise.all([30, 10, 20].map((ms) => sleep(ms).then(() => {
      expect(Date.now() - start).toBeGreaterThanOrEqual(ms - 1);
      order.push(ms);
    })));
    expect(order).toEqual([10, 20, 30]);
  });

  it('resolves at once when the signal aborts (one listener per signal), and for an aborted signal', async () => {
    const sleep = createSlotSleep(5);
    const controller = new AbortController();
    const start = Date.now();
    const sleeps = [sleep(10_000, controller.signal), sleep(20_000, controller.signal)];
    setTimeout(() => controller.abort(), 20);
    await Promise.all(sleeps);
    expect(Date.now() - start).toBeLessThan(5_000);
    const t = Date.now();
    await sleep(10_000, controller.signal);
    expect(Date.now() - t).toBeLessThan(1_000);
  });
});
