/** The clock and timer a slot sleep runs on (injected in tests; real time by default). */
export interface SlotSleepClock {
  now(): number;
  setTimer(callback: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

const REAL_CLOCK: SlotSleepClock = {
  now: () => Date.now(),
  setTimer: (callback, ms) => setTimeout(callback, ms),
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * A `ProviderEnvironment.sleep` for many concurrent streams: one timer per `granularityMs` slot
 * for every sleeper in the process instead of a `setTimeout` plus an AbortSignal listener per call.
 * The simulated provider sleeps once per token, so at 10,000 streams × 10 tokens/s the default
 * sleep allocated 100,000 timers and listener records a second; here a sleep costs one promise and
 * one array slot, and each signal gets ONE abort listener for its lifetime.
 *
 * Same contract as core's `timerSleep`: resolves after at least `ms` (rounded up to the slot), or
 * as soon as `signal` aborts; it never rejects.
 */
export function createSlotSleep(granularityMs = 5, clock: SlotSleepClock = REAL_CLOCK): (ms: number, signal?: AbortSignal) => Promise<void> {
  const { now, setTimer, clearTimer } = clock;
  // Each slot's sleepers as flat pairs (resolve, the sleepers of its signal or undefined): no
  // closure per sleep to take a woken sleeper out of its signal's record.
  const slots = new Map<number, Array<(() => void) | Sleepers | undefined>>();
  // Each signal's record, with its ONE abort listener.
  const sleepersOf = new WeakMap<AbortSignal, Sleepers>();
  let timer: unknown;
  let timerSlot = Infinity;

  const arm = (slot: number) => {
    if (timer !== undefined) clearTimer(timer);
    timerSlot = slot;
    timer = setTimer(run, Math.max(0, slot * granularityMs - now()));
  };
  const run = () => {
    timer = undefined;
    timerSlot = Infinity;
    const current = Math.floor(now() / granularityMs);
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
      const list = slots.get(slot)!;
      slots.delete(slot);
      for (let i = 0; i < list.length; i += 2) {
        const resolve = list[i] as () => void;
        const sleepers = list[i + 1] as Sleepers | undefined;
        if (sleepers) {
          if (sleepers.one === resolve) sleepers.one = undefined;
          else sleepers.more?.delete(resolve);
        }
        resolve();
      }
    }
    if (next < timerSlot) arm(next);
  };
  const recordOf = (signal: AbortSignal): Sleepers => {
    const sleepers: Sleepers = { aborted: false, one: undefined, more: undefined };
    sleepersOf.set(signal, sleepers);
    signal.addEventListener(
      'abort',
      () => {
        sleepers.aborted = true;
        const one = sleepers.one;
        const more = sleepers.more;
        sleepers.one = undefined;
        sleepers.more = undefined;
        one?.();
        if (more) for (const r of more) r();
      },
      { once: true },
    );
    return sleepers;
  };

  return (ms, signal) => {
    let sleepers: Sleepers | undefined;
    if (signal) {
      sleepers = sleepersOf.get(signal);
      // The record's own flag, set by its abort listener: `signal.aborted` is a checked getter, read
      // once per signal instead of once per sleep.
      if (sleepers ? sleepers.aborted : signal.aborted) return Promise.resolve();
      sleepers ??= recordOf(signal);
    }
    return new Promise<void>((resolve) => {
      // A stream sleeps once at a time: its one sleeper is a field, not a Set entry.
      if (sleepers) {
        if (sleepers.one === undefined) sleepers.one = resolve;
        else (sleepers.more ??= new Set()).add(resolve);
      }
      const slot = Math.ceil((now() + Math.max(0, ms)) / granularityMs);
      const list = slots.get(slot);
      if (list) list.push(resolve, sleepers);
      else slots.set(slot, [resolve, sleepers]);
      if (slot < timerSlot) arm(slot);
    });
  };
}

/** The sleeps one signal is waiting in (resolving one twice is harmless). */
interface Sleepers {
  /** The signal aborted: later sleeps resolve at once. */
  aborted: boolean;
  /** The usual case: one sleep at a time. */
  one: (() => void) | undefined;
  /** Further concurrent sleeps on the same signal. */
  more: Set<() => void> | undefined;
}
