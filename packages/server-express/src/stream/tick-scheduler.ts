/** Something the {@link TickScheduler} wakes up; it checks itself whether it is still due. */
export interface Tickable {
  onTick(now: number): void;
}

/**
 * One timer for every stream's age-based flush, instead of a `setTimeout` per stream per frame:
 * at 10,000 streams × 10 events/s the per-stream timers were 100,000 timer objects a second (GC)
 * plus their list churn. Due times are rounded UP to `granularityMs` slots (a frame waits at most
 * that much longer than its `maxAgeMs`), and each slot wakes all its streams in one macrotask.
 *
 * Entries are not removed when a stream reschedules or flushes early: `onTick` is called for
 * stale entries too, and the stream ignores a wake-up that is not due (it keeps its own due time).
 */
export class TickScheduler {
  private readonly slots = new Map<number, Tickable[]>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerSlot = Infinity;

  constructor(private readonly granularityMs = 5) {}

  /** Wakes `item` at or shortly after `at` (ms since the epoch, as `Date.now()`). */
  schedule(item: Tickable, at: number): void {
    const slot = Math.ceil(at / this.granularityMs);
    const list = this.slots.get(slot);
    if (list) list.push(item);
    else this.slots.set(slot, [item]);
    if (slot < this.timerSlot) this.arm(slot);
  }

  /** Items waiting (stale entries included). */
  get pending(): number {
    let n = 0;
    for (const list of this.slots.values()) n += list.length;
    return n;
  }

  /** Drops every entry and the timer (shutdown). */
  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerSlot = Infinity;
    this.slots.clear();
  }

  private arm(slot: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timerSlot = slot;
    this.timer = setTimeout(this.run, Math.max(0, slot * this.granularityMs - Date.now()));
  }

  private readonly run = (): void => {
    this.timer = undefined;
    this.timerSlot = Infinity;
    const now = Date.now();
    const current = Math.floor(now / this.granularityMs);
    let next = Infinity;
    const due: number[] = [];
    for (const slot of this.slots.keys()) {
      if (slot <= current) due.push(slot);
      else if (slot < next) next = slot;
    }
    // Map order is insertion order: after an event-loop stall several slots are due at once, and
    // they must still wake in due-time order.
    due.sort((a, b) => a - b);
    for (const slot of due) {
      const list = this.slots.get(slot)!;
      this.slots.delete(slot);
      for (const item of list) item.onTick(now);
    }
    // Items may have scheduled again while being woken (and armed the timer themselves).
    if (next < this.timerSlot) this.arm(next);
  };
}
