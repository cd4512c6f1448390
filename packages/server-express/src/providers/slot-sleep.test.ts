import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSlotSleep } from './slot-sleep';
import { eventNow } from './wake-clock';

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

  it('calls back through its callback form: on time with false, never synchronously, in order of due time', async () => {
    const sleep = createSlotSleep(5);
    const woke: Array<[number, boolean]> = [];
    for (const ms of [30, 10, 20]) sleep.schedule(ms, undefined, (aborted) => woke.push([ms, aborted]));
    expect(woke).toEqual([]);
    await vi.advanceTimersByTimeAsync(9);
    expect(woke).toEqual([]);
    await vi.advanceTimersByTimeAsync(100);
    expect(woke).toEqual([
      [10, false],
      [20, false],
      [30, false],
    ]);
  });

  it("calls back once with true when the signal aborts (not inside abort(), not again at its slot), and later for an aborted signal", async () => {
    const sleep = createSlotSleep(5);
    const controller = new AbortController();
    const calls: Array<[string, boolean]> = [];
    sleep.schedule(10_000, controller.signal, (aborted) => calls.push(['first', aborted]));
    sleep.schedule(10, controller.signal, (aborted) => calls.push(['on time', aborted]));
    sleep.schedule(20_000, controller.signal, (aborted) => calls.push(['second', aborted]));
    await vi.advanceTimersByTimeAsync(10);
    expect(calls).toEqual([['on time', false]]);
    controller.abort();
    expect(calls).toHaveLength(1);
    await settle();
    expect(calls).toEqual([
      ['on time', false],
      ['first', true],
      ['second', true],
    ]);
    // Their slots come: nobody is called twice.
    await vi.advanceTimersByTimeAsync(25_000);
    expect(calls).toHaveLength(3);
    sleep.schedule(10_000, controller.signal, (aborted) => calls.push(['late', aborted]));
    expect(calls).toHaveLength(3);
    await settle();
    expect(calls.at(-1)).toEqual(['late', true]);
  });

  it("wakes the sleepers of a non-extensible signal, and keeps two sleeps' records of one signal apart", async () => {
    const sleep = createSlotSleep(5);
    const other = createSlotSleep(5);
    const frozen = new AbortController();
    Object.preventExtensions(frozen.signal);
    const shared = new AbortController();
    const calls: Array<[string, boolean]> = [];
    sleep.schedule(10, frozen.signal, (aborted) => calls.push(['frozen on time', aborted]));
    sleep.schedule(10, shared.signal, (aborted) => calls.push(['one', aborted]));
    other.schedule(10, shared.signal, (aborted) => calls.push(['other', aborted]));
    await vi.advanceTimersByTimeAsync(10);
    expect(calls).toEqual([
      ['frozen on time', false],
      ['one', false],
      ['other', false],
    ]);
    sleep.schedule(10_000, frozen.signal, (aborted) => calls.push(['frozen', aborted]));
    sleep.schedule(10_000, shared.signal, (aborted) => calls.push(['one later', aborted]));
    other.schedule(10_000, shared.signal, (aborted) => calls.push(['other later', aborted]));
    frozen.abort();
    shared.abort();
    await settle();
    expect(calls.slice(3)).toEqual([
      ['frozen', true],
      ['one later', true],
      ['other later', true],
    ]);
    // Their slots come: nobody is called twice.
    await vi.advanceTimersByTimeAsync(20_000);
    expect(calls).toHaveLength(6);
  });

  it('wakes the same callback once per schedule, however many times it waits on one signal at once', async () => {
    const sleep = createSlotSleep(5);
    const controller = new AbortController();
    const woke: boolean[] = [];
    const then = (aborted: boolean) => woke.push(aborted);
    sleep.schedule(10, controller.signal, then);
    sleep.schedule(10, controller.signal, then);
    sleep.schedule(50_000, controller.signal, then);
    await vi.advanceTimersByTimeAsync(10);
    expect(woke).toEqual([false, false]);
    controller.abort();
    await settle();
    expect(woke).toEqual([false, false, true]);
  });

  it('wakes the sleepers after one whose callback throws, and throws its error again on its own', () => {
    const sleep = createSlotSleep(5);
    const woke: string[] = [];
    sleep.schedule(10, undefined, () => {
      throw new Error('a bug of its own');
    });
    sleep.schedule(10, undefined, () => woke.push('next'));
    const rethrown: Array<() => void> = [];
    const spy = vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((fn) => void rethrown.push(fn));
    try {
      vi.advanceTimersByTime(10);
    } finally {
      spy.mockRestore();
    }
    expect(woke).toEqual(['next']);
    expect(rethrown).toHaveLength(1);
    expect(() => rethrown[0]!()).toThrow('a bug of its own');
  });

  it("reads the clock once per slot: what a wake runs sees the slot's time (eventNow), and a sleep it starts counts from it", async () => {
    const sleep = createSlotSleep(5);
    const start = Date.now(); // 1,000,000: a slot boundary
    const seen: number[] = [];
    let rescheduledWokeAt = 0;
    sleep.schedule(10, undefined, () => {
      seen.push(eventNow());
      // The work of the wakes before it took 3 ms: the clock moved on, the slot's time did not.
      vi.setSystemTime(Date.now() + 3);
      seen.push(eventNow());
      // 5 ms from the slot's time is the next slot (from the clock's, the one after).
      sleep.schedule(5, undefined, () => (rescheduledWokeAt = Date.now() - start));
    });
    sleep.schedule(10, undefined, () => seen.push(eventNow()));
    await vi.advanceTimersByTimeAsync(10);
    expect(seen).toEqual([start + 10, start + 10, start + 10]);
    // Outside a wake: the clock's own time.
    expect(eventNow()).toBe(Date.now());
    await vi.advanceTimersByTimeAsync(5);
    expect(rescheduledWokeAt).toBe(15);
  });

  it("keeps an injected clock's time to itself: eventNow is the server's clock inside its wakes", () => {
    let now = 0;
    let timer: (() => void) | undefined;
    const sleep = createSlotSleep(5, { now: () => now, setTimer: (fn) => (timer = fn), clearTimer: () => undefined });
    let seen = -1;
    sleep.schedule(5, undefined, () => (seen = eventNow()));
    now = 5;
    timer!();
    expect(seen).toBe(Date.now());
  });
});
