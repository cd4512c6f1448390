import type { Counter } from 'prom-client';

/**
 * Counts of a counter with one or two labels, kept as plain numbers in nested maps and moved into
 * the Prometheus counter when it is read (a scrape, `get()`): prom-client's `inc(labels)` hashes
 * the labels into a new string on every call (sorted keys, joined), which every stream's start and
 * end paid. After a label pair's first count, counting allocates nothing.
 */
export class LabelTally<A extends string, B extends string = never> {
  private readonly counts = new Map<string, Map<string, number>>();

  constructor(
    private readonly first: A,
    private readonly second?: B,
  ) {}

  add(a: string, b = ''): void {
    let inner = this.counts.get(a);
    if (!inner) this.counts.set(a, (inner = new Map()));
    inner.set(b, (inner.get(b) ?? 0) + 1);
  }

  /** Moves the counts into `counter` (its `collect`), leaving zeros. */
  drainInto(counter: Counter<A | B>): void {
    for (const [a, inner] of this.counts) {
      for (const [b, n] of inner) {
        if (n === 0) continue;
        const labels = { [this.first]: a, ...(this.second !== undefined ? { [this.second]: b } : {}) } as Partial<Record<A | B, string>>;
        counter.inc(labels, n);
        inner.set(b, 0);
      }
    }
  }
}
