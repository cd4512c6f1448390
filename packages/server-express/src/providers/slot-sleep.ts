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
export function createSlotSleep(granularityMs = 5): (ms: number, signal?: AbortSignal) => Promise<void> {
  const slots = new Map<number, Array<() => void>>();
  // Resolvers of the sleeps each signal is waiting in (resolving twice is harmless).
  const waiting = new WeakMap<AbortSignal, Set<() => void>>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timerSlot = Infinity;

  const arm = (slot: number) => {
    if (timer) clearTimeout(timer);
    timerSlot = slot;
    timer = setTimeout(run, Math.max(0, slot * granularityMs - Date.now()));
  };
  const run = () => {
    timer = undefined;
    timerSlot = Infinity;
    const current = Math.floor(Date.now() / granularityMs);
    let next = Infinity;
    for (const [slot, list] of slots) {
      if (slot > current) {
        if (slot < next) next = slot;
        continue;
      }
      slots.delete(slot);
      for (const resolve of list) resolve();
    }
    if (next < timerSlot) arm(next);
  };

  return (ms, signal) => {
    if (signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let done = resolve;
      if (signal) {
        let set = waiting.get(signal);
        if (!set) {
          const mine = new Set<() => void>();
          set = mine;
          waiting.set(signal, mine);
          signal.addEventListener(
            'abort',
            () => {
              for (const r of mine) r();
              mine.clear();
            },
            { once: true },
          );
        }
        const s = set;
        done = () => {
          s.delete(done);
          resolve();
        };
        s.add(done);
      }
      const slot = Math.ceil((Date.now() + Math.max(0, ms)) / granularityMs);
      const list = slots.get(slot);
      if (list) list.push(done);
      else slots.set(slot, [done]);
      if (slot < timerSlot) arm(slot);
    });
  };
}
