/** Options of {@link createBatchWriter}. */
export interface BatchWriterOptions<T> {
  /** Writes one batch; a rejection keeps the rows and retries them later. */
  write: (rows: T[]) => Promise<void>;
  /** Rows per write (default 500). */
  maxBatch?: number;
  /**
   * Longest a row waits before its batch is written (default 50 ms). 0 is group commit with no
   * added wait: a batch starts as soon as the code that pushed its first row is done (a microtask:
   * rows pushed by the same synchronous code share it, and it starts before any other callback of
   * the event loop), and rows pushed while one is being written form the next.
   */
  intervalMs?: number;
  /**
   * With `intervalMs` 0, when a batch starts: `'microtask'` (default, as above), or `'turn'`: after
   * the event loop's current turn (`setImmediate`), for rows nobody waits on at once. The batch's
   * statement, and the database worker's run of it, then come after what that turn still does (a
   * stream's first chunk, when the rows are openings a journal already made durable).
   */
  startAfter?: 'microtask' | 'turn';
  /** Delay before retrying a failed batch (default 1,000 ms). */
  retryMs?: number;
  onError?: (error: unknown, rows: number) => void;
  /**
   * Once a batch is due (its first row waited `intervalMs`), hands its write to `defer`, which calls
   * `go` when the write should leave: on the embedded database, right behind the next billing
   * opening (see `BehindOpenings`), so it does not hold up a stream's first byte. Without it, due is now.
   */
  defer?: (go: () => void) => void;
}

/** A write-behind queue: `push` never waits on the database; rows land in batches. */
export interface BatchWriter<T> {
  push(row: T): void;
  /**
   * Resolves once every row pushed so far is written (committed): what a caller waits on before it
   * acts on a row being durable. Never rejects: a failed batch is retried until it lands.
   */
  durable(): Promise<void>;
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
  return createPackedBatchWriter<T, T[]>({ ...options, batches: ARRAY_BATCHES as RowBatches<T, T[]> });
}

/**
 * How a writer keeps its queued rows: in batches it fills as rows are pushed, each written whole
 * (an array by default; the audit copy's rows are encoded into a COPY buffer as they come).
 */
export interface RowBatches<T, B> {
  create(): B;
  add(batch: B, row: T): void;
  size(batch: B): number;
}

const ARRAY_BATCHES: RowBatches<unknown, unknown[]> = {
  create: () => [],
  add: (batch, row) => void batch.push(row),
  size: (batch) => batch.length,
};

/**
 * {@link createBatchWriter} with the rows kept in `batches` (each at most `maxBatch` rows): `write`
 * gets one batch. The batch being written (or retried after a failure) takes no more rows: those
 * pushed meanwhile fill the next.
 */
export function createPackedBatchWriter<T, B>(
  options: Omit<BatchWriterOptions<T>, 'write'> & { write: (batch: B) => Promise<void>; batches: RowBatches<T, B> },
): BatchWriter<T> {
  const maxBatch = options.maxBatch ?? 500;
  const intervalMs = options.intervalMs ?? 50;
  const retryMs = options.retryMs ?? 1_000;
  const batches = options.batches;
  const queue: B[] = [];
  // The first batch was handed to write (it takes no more rows).
  let headSealed = false;
  let queued = 0;
  let pushed = 0;
  let written = 0;
  // Callers of durable(), each waiting for the rows pushed before it (in push order).
  const waiters: Array<{ upTo: number; resolve: () => void }> = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  // intervalMs 0: a drain is queued as a microtask (it cannot be cancelled: close() clears the flag).
  let soon = false;
  // A due batch handed to options.defer and not yet sent (no second timer meanwhile).
  let deferred = false;
  let running: Promise<void> | undefined;
  let closed = false;

  const schedule = (delay: number) => {
    if (timer || soon || deferred || closed) return;
    if (delay === 0) {
      // Not setImmediate: that waits for the rest of the event loop's poll phase (every other
      // socket's callbacks), which a stream's first content byte waits for too (its opening).
      soon = true;
      const start = () => {
        if (!soon) return;
        soon = false;
        void drain();
      };
      if (options.startAfter === 'turn') setImmediate(start);
      else queueMicrotask(start);
      return;
    }
    timer = setTimeout(() => {
      timer = undefined;
      const defer = options.defer;
      if (!defer) {
        void drain();
        return;
      }
      deferred = true;
      defer(() => {
        deferred = false;
        // Closed meanwhile: close() flushed; later pushes wait for the next flush, as documented.
        if (!closed) void drain();
      });
    }, delay);
    timer.unref?.();
  };

  const drainOnce = async (): Promise<boolean> => {
    while (queue.length > 0) {
      const batch = queue[0]!;
      headSealed = true;
      try {
        await options.write(batch);
        const size = batches.size(batch);
        queue.shift();
        headSealed = false;
        queued -= size;
        written += size;
        while (waiters.length > 0 && waiters[0]!.upTo <= written) waiters.shift()!.resolve();
      } catch (error) {
        options.onError?.(error, batches.size(batch));
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
        if (queued > 0) schedule(intervalMs);
      });
    return running;
  };

  return {
    push(row) {
      let tail = queue.length > (headSealed ? 1 : 0) ? queue[queue.length - 1] : undefined;
      if (tail === undefined || batches.size(tail) >= maxBatch) queue.push((tail = batches.create()));
      batches.add(tail, row);
      queued++;
      pushed++;
      if (queued >= maxBatch) void drain();
      else schedule(intervalMs);
    },
    durable() {
      if (written >= pushed) return Promise.resolve();
      return new Promise<void>((resolve) => waiters.push({ upTo: pushed, resolve }));
    },
    get pending() {
      return queued;
    },
    async flush() {
      // A write in progress may have been started before the latest pushes: loop until empty.
      for (let attempt = 0; queued > 0 || running; attempt++) {
        await drain();
        if (queued > 0 && attempt > 0 && !running) {
          // The last attempt failed; wait a little before trying again instead of spinning.
          await new Promise((r) => setTimeout(r, Math.min(retryMs, 100)));
        }
        if (attempt > 50) throw new Error(`batch writer could not write ${queued} rows`);
      }
    },
    async close() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      soon = false;
      closed = true;
      await this.flush();
    },
  };
}
