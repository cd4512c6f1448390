import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSlotSleep } from './slot-sleep';

// Fake timers and a fake Date: nothing here depends on how busy the machine is.
beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** Lets resolved promises run their `.then` callbacks. */
const settle = () => vi.advanceTimersByTimeAsync(0);

describe('createSlotSleep', () => {
  it('resolves every sleeper no earlier than asked, in order of due time', async () => {
    const sleep = createSlotSleep(5);
    const start = Date.now();
    const woke: Array<[number, number]> = [];
    for (const ms of [30, 10, 20]) void sleep(ms).then(() => woke.push([ms, Date.now() - start]));
    await vi.advanceTimersByTimeAsync(9);
    expect(woke).toEqual([]);
    await vi.advanceTimersByTimeAsync(100);
    expect(woke.map(([ms]) => ms)).toEqual([10, 20, 30]);
    for (const [ms, elapsed] of woke) expect(elapsed).toBeGreaterThanOrEqual(ms);
  });

  it('wakes sleepers in due-time order after an event-loop stall made several slots due at once', async () => {
    const sleep = createSlotSleep(5);
    const order: number[] = [];
    for (const ms of [30, 10, 20]) void sleep(ms).then(() => order.push(ms));
    // The loop is blocked for 50 ms: the clock moves on, the timer has not fired yet.
    vi.setSystemTime(Date.now() + 50);
    await vi.advanceTimersByTimeAsync(10);
    expect(order).toEqual([10, 20, 30]);
  });

  it('resolves at once when the signal aborts (one listener per signal), and for an aborted signal', async () => {
    const sleep = createSlotSleep(5);
    const controller = new AbortController();
    let woke = 0;
    const sleeps = [sleep(10_000, controller.signal), sleep(20_000, controller.signal)].map((p) => p.then(() => woke++));
    await vi.advanceTimersByTimeAsync(20);
    expect(woke).toBe(0);
    controller.abort();
    await Promise.all(sleeps);
    expect(woke).toBe(2);
    let late = false;
    void sleep(10_000, controller.signal).then(() => (late = true));
    await settle();
    expect(late).toBe(true);
  });

  it('still wakes on abort the sleeps a signal takes after earlier ones woke on time, one or several at once', async () => {
    const sleep = createSlotSleep(5);
    const controller = new AbortController();
    let first = false;
    void sleep(10, controller.signal).then(() => (first = true));
    await vi.advanceTimersByTimeAsync(10);
    expect(first).toBe(true);
    const woke: number[] = [];
    // One sleep, then two more at once while it waits: the first of them wakes on time, the rest on abort.
    const sleeps = [sleep(10, controller.signal), sleep(50_000, controller.signal), sleep(60_000, controller.signal)].map((p, i) => p.then(() => woke.push(i)));
    await vi.advanceTimersByTimeAsync(10);
    expect(woke).toEqual([0]);
    controller.abort();
    await Promise.all(sleeps);
    expect(woke.sort()).toEqual([0, 1, 2]);
  });

  it('runs on an injected clock', async () => {
    let now = 0;
    const timers: Array<{ at: number; fn: () => void }> = [];
    const sleep = createSlotSleep(5, { now: () => now, setTimer: (fn, ms) => timers.push({ at: now + ms, fn }), clearTimer: () => undefined });
    let woke = false;
    void sleep(12).then(() => (woke = true));
    now = 15;
    timers.at(-1)!.fn();
    await settle();
    expect(woke).toBe(true);
  });
});
