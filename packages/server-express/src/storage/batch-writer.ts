/** Options of {@link createBatchWriter}. */
export interface BatchWriterOptions<T> {
  /** Writes one batch; a rejection keeps the rows and retries them later. */
  write: (rows: T[]) => Promise<void>;
  /** Rows per write (default 500). */
  maxBatch?: number;
  /** Longest a row waits before its batch is written (default 50 ms). */
  intervalMs?: number;
  /** Delay before retrying a failed batch (default 1,000 ms). */
  retryMs?: number;
  onError?: (error: unknown, rows: number) => void;
}

/** A write-behind queue: `push` never waits on the database; rows land in batches. */
export interface BatchWriter<T> {
  push(row: T): void;
  /** Rows waiting to be written. */
  readonly pending: number;
  /** Writes everything queued so far (and retries failures) before resolving. */
  flush(): Promise<void>;
  /** Flushes and stops the timer; later pushes are written by the next `flush`. */
  close(): Promise<void>;
}

/**
 * Batches rows for the database so the streaming hot path never waits on it. Rows are kept until a
 * write succeeds (a failed batch is retried, never dropped): the audit copy of a stream must not
 * silently lose events. Writes are serialised so rows land in push order.
 */
export function createBatchWriter<T>(options: BatchWriterOptions<T>): BatchWriter<T> {
  const maxBatch = options.maxBatch ?? 500;
  const intervalMs = options.intervalMs ?? 50;
  const retryMs = options.retryMs ?? 1_000;
  let queue: T[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> | undefined;
  let closed = false;

  const schedule = (delay: number) => {
    if (timer || closed) return;
    timer = setTimeout(() => {
      timer = undefined;
      void drain();
    }, delay);
    timer.unref?.();
  };

  const drainOnce = async (): Promise<boolean> => {
    while (queue.length > 0) {
      const batch = queue.slice(0, maxBatch);
      try {
        await options.write(batch);
        queue = queue.slice(batch.length);
      } catch (error) {
        options.onError?.(error, batch.length);
        return false;
      }
    }
    return true;
  };

  const drain = (): Promise<void> => {
    if (running) return running;
    running = drainOnce()
      .then((ok) => {
        if (!ok) schedule(retryMs);
      })
      .finally(() => {
        running = undefined;
        if (queue.length > 0) schedule(intervalMs);
      });
    return running;
  };

  return {
    push(row) {
      queue.push(row);
      if (queue.length >= maxBatch) void drain();
      else schedule(intervalMs);
    },
    get pending() {
      return queue.length;
    },
    async flush() {
      // A write in progress may have been started before the latest pushes: loop until empty.
      for (let attempt = 0; queue.length > 0 || running; attempt++) {
        await drain();
        if (queue.length > 0 && attempt > 0 && !running) {
          // The last attempt failed; wait a little before trying again instead of spinning.
          await new Promise((r) => setTimeout(r, Math.min(retryMs, 100)));
        }
        if (attempt > 50) throw new Error(`batch writer could not write ${queue.length} rows`);
      }
    },
    async close() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      closed = true;
      await this.flush();
    },
  };
}
