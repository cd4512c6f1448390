import type { SchedulingSleep } from '@twin/core';
import { beginWake, endWake } from './wake-clock';

/** The clock and timer a slot sleep runs on (injected in tests; real time by default). */
export interface SlotSleepClock {
  now(): number;
  setTimer(callback: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
  /**
   * `now` reads the server's clock (`Date.now()`): while a slot's sleepers run, the reading it woke
   * with is their time too (`eventNow`, see ./wake-clock). A clock of its own (a test's) keeps it.
   */
  shared?: boolean;
}

const REAL_CLOCK: SlotSleepClock = {
  shared: true,
  now: () => Date.now(),
  setTimer: (callback, ms) => setTimeout(callback, ms),
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * A `ProviderEnvironment.sleep` for many concurrent streams: one timer per `granularityMs` slot
 * for every sleeper in the process instead of a `setTimeout` plus an AbortSignal listener per call.
 * The simulated provider sleeps once per token, so at 10,000 streams × 10 tokens/s the default
 * sleep allocated 100,000 timers and listener records a second; here each signal gets ONE abort
 * listener for its lifetime, and a sleep costs one array slot: through its callback form
 * (`sleep.schedule`, see core's `SchedulingSleep`), which the simulated provider uses, no promise
 * either (the promise, its resolving functions and the reaction to it were most of what a token's
 * sleep made).
 *
 * Same contract as core's `timerSleep`: resolves after at least `ms` (rounded up to the slot), or
 * as soon as `signal` aborts; it never rejects. A sleep started by a sleeper the slot woke counts
 * from the time the slot woke (one clock read per slot, not one per sleep: the simulated provider
 * sleeps once per token), as libuv's timers count from the loop's time.
 */
export function createSlotSleep(granularityMs = 5, clock: SlotSleepClock = REAL_CLOCK): SchedulingSleep {
  const { now, setTimer, clearTimer } = clock;
  const shared = clock.shared === true;
  // Each slot's sleepers as flat pairs (callback, the sleepers of its signal or undefined): no
  // closure per sleep to take a woken sleeper out of its signal's record. Slots are counted from
  // `origin`, so a slot is a small integer, not a double (the time in ms / granularity is some
  // 3.5·10¹¹): no number boxed per sleep, and the map hashes small integers.
  const slots = new Map<number, Bucket>();
  const origin = Math.floor(now() / granularityMs);
  // Emptied buckets, kept with their capacity: a slot's list is not grown anew from two entries,
  // through a few copies, by the hundreds of sleepers of every slot.
  const spare: Bucket[] = [];
  // Each signal's record, with its ONE abort listener.
  const sleepersOf = new WeakMap<AbortSignal, Sleepers>();
  let timer: unknown;
  let timerSlot = Infinity;
  // The time the running slot woke at; NaN outside a run.
  let wokeAt = Number.NaN;

  // The timer's delay from the clock itself (once per slot, not per sleep): a slot's time may be
  // older by the work its wakes did, and the timer would fire that much late.
  const arm = (slot: number) => {
    if (timer !== undefined) clearTimer(timer);
    timerSlot = slot;
    timer = setTimer(run, Math.max(0, (origin + slot) * granularityMs - now()));
  };
  const run = () => {
    timer = undefined;
    timerSlot = Infinity;
    const time = now();
    wokeAt = time;
    if (shared) beginWake(time);
    try {
      wakeDue(time);
    } finally {
      wokeAt = Number.NaN;
      if (shared) endWake();
    }
  };
  const wakeDue = (time: number) => {
    const current = Math.floor(time / granularityMs) - origin;
    let next = Infinity;
    const due: number[] = [];
    for (const slot of slots.keys()) {
      if (slot <= current) due.push(slot);
      else if (slot < next) next = slot;
    }
    // Map order is insertion order: after an event-loop stall several slots are due at once, and
    // a 30 ms sleeper queued first must still wake after the 10 ms one.
    due.sort((a, b) => a - b);
    for (const slot of due) {
      const bucket = slots.get(slot)!;
      slots.delete(slot);
      const items = bucket.items;
      for (let i = 0; i < bucket.length; i += 2) {
        const wake = items[i] as Wake;
        const sleepers = items[i + 1] as Sleepers | undefined;
        items[i] = undefined;
        items[i + 1] = undefined;
        // Out of its signal's record; one the abort took out already was woken by it.
        if (sleepers && !sleepers.take(wake)) continue;
        call(wake, false);
      }
      bucket.length = 0;
      if (spare.length < MAX_SPARE_BUCKETS) spare.push(bucket);
    }
    if (next < timerSlot) arm(next);
  };
  const recordOf = (signal: AbortSignal): Sleepers => {
    const sleepers = new Sleepers();
    sleepersOf.set(signal, sleepers);
    signal.addEventListener('abort', () => sleepers.abort(), { once: true });
    return sleepers;
  };

  const schedule = (ms: number, signal: AbortSignal | undefined, then: Wake): void => {
    let sleepers: Sleepers | undefined;
    if (signal) {
      sleepers = sleepersOf.get(signal);
      // The record's own flag, set by its abort listener: `signal.aborted` is a checked getter, read
      // once per signal instead of once per sleep.
      if (sleepers ? sleepers.aborted : signal.aborted) {
        queueMicrotask(() => then(true));
        return;
      }
      sleepers ??= recordOf(signal);
      sleepers.add(then);
    }
    // NaN (no slot running) is the only value not equal to itself.
    const time = wokeAt === wokeAt ? wokeAt : now();
    const slot = Math.ceil((time + Math.max(0, ms)) / granularityMs) - origin;
    let bucket = slots.get(slot);
    if (bucket === undefined) {
      bucket = spare.pop() ?? { items: [], length: 0 };
      slots.set(slot, bucket);
    }
    const items = bucket.items;
    items[bucket.length++] = then;
    items[bucket.length++] = sleepers;
    if (slot < timerSlot) arm(slot);
  };
  const sleep = (ms: number, signal?: AbortSignal): Promise<void> => new Promise<void>((resolve) => schedule(ms, signal, () => resolve()));
  return Object.assign(sleep, { schedule });
}

/**
 * Calls a sleeper back. One that throws (a bug of its own) does not keep the sleepers after it from
 * waking: its error is thrown again on its own, as a timer callback's would be.
 */
function call(wake: Wake, aborted: boolean): void {
  try {
    wake(aborted);
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}

/** The sleepers of one slot: `length` entries of `items` (which keeps its capacity between slots). */
interface Bucket {
  items: Array<Wake | Sleepers | undefined>;
  length: number;
}

/** Emptied buckets kept for later slots: a sleep's slots span its longest wait (the simulated provider's, 100 ms at 10 tokens/s: 20 slots). */
const MAX_SPARE_BUCKETS = 64;

/** What a sleep calls when it ends: `aborted` when its signal's abort ended it. */
type Wake = (aborted: boolean) => void;

/** The sleeps one signal is waiting in. */
class Sleepers {
  /** The signal aborted: later sleeps end at once. */
  aborted = false;
  /** The usual case: one sleep at a time. */
  private one: Wake | undefined;
  /** Further concurrent sleeps on the same signal. */
  private more: Wake[] | undefined;

  add(wake: Wake): void {
    if (this.one === undefined) this.one = wake;
    else (this.more ??= []).push(wake);
  }

  /** Takes `wake` out (its time came); false when it is not in (the abort woke it already). */
  take(wake: Wake): boolean {
    if (this.one === wake) {
      this.one = undefined;
      return true;
    }
    const at = this.more?.indexOf(wake) ?? -1;
    if (at < 0) return false;
    this.more!.splice(at, 1);
    return true;
  }

  /** The signal aborted: every sleep in wakes, on a later microtask (not inside the caller's `abort()`). */
  abort(): void {
    this.aborted = true;
    const one = this.one;
    const more = this.more;
    this.one = undefined;
    this.more = undefined;
    if (one === undefined && more === undefined) return;
    queueMicrotask(() => {
      if (one) call(one, true);
      if (more) for (const wake of more) call(wake, true);
    });
  }
}
