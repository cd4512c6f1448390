/** Options of {@link createGroupCommit}. */
export interface GroupCommitOptions<T, R> {
  /** Commits a batch in one transaction; returns one result per item, in order. */
  run: (items: T[]) => Promise<R[]>;
  /** How long the first item waits for company (default 10 ms). */
  intervalMs?: number;
  maxBatch?: number;
  /** As the batch writer's `defer`: once a batch is due, `go` says when it leaves. */
  defer?: (go: () => void) => void;
}

/** Submits items that are committed together; each caller gets its own result. */
export interface GroupCommit<T, R> {
  submit(item: T): Promise<R>;
  readonly pending: number;
  /** Commits everything submitted so far. */
  flush(): Promise<void>;
}

/**
 * Group commit: items submitted within `intervalMs` are written in ONE transaction. An embedded
 * database pays per transaction (its commit is synchronous file I/O in its one worker thread), so a burst
 * of stream endings costs one commit instead of one per stream. A failed batch rejects every item
 * in it (callers retry).
 */
export function createGroupCommit<T, R>(options: GroupCommitOptions<T, R>): GroupCommit<T, R> {
  const intervalMs = options.intervalMs ?? 10;
  const maxBatch = options.maxBatch ?? 500;
  const queue: Array<{ item: T; resolve: (r: R) => void; reject: (e: unknown) => void }> = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  // A due batch handed to options.defer and not yet sent (no second timer meanwhile).
  let deferred = false;
  let running: Promise<void> = Promise.resolve();

  const drain = (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const batch = queue.splice(0, maxBatch);
    if (queue.length > 0) schedule();
    if (batch.length === 0) return running;
    // Serialised: batches commit in submission order.
    running = running.then(async () => {
      try {
        const results = await options.run(batch.map((b) => b.item));
        batch.forEach((b, i) => b.resolve(results[i]!));
      } catch (error) {
        for (const b of batch) b.reject(error);
      }
    });
    return running;
  };
  const schedule = () => {
    if (timer || deferred) return;
    timer = setTimeout(() => {
      const defer = options.defer;
      if (!defer) {
        void drain();
        return;
      }
      timer = undefined;
      deferred = true;
      defer(() => {
        deferred = false;
        void drain();
      });
    }, intervalMs);
  };

  return {
    submit(item) {
      return new Promise<R>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        if (queue.length >= maxBatch) void drain();
        else schedule();
      });
    },
    get pending() {
      return queue.length;
    },
    async flush() {
      while (queue.length > 0) await drain();
      await running;
    },
  };
}
