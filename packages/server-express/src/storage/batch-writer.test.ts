import { describe, expect, it, vi } from 'vitest';
import { createBatchWriter } from './batch-writer';

describe('createBatchWriter', () => {
  it('writes rows in push order, in batches no larger than maxBatch', async () => {
    const batches: number[][] = [];
    const w = createBatchWriter<number>({ write: async (rows) => void batches.push([...rows]), maxBatch: 3, intervalMs: 1 });
    for (let i = 0; i < 7; i++) w.push(i);
    await w.flush();
    expect(batches.flat()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(Math.max(...batches.map((b) => b.length))).toBeLessThanOrEqual(3);
    await w.close();
  });

  it('keeps and retries rows whose write failed: none is dropped', async () => {
    let fail = 2;
    const written: number[] = [];
    const errors: unknown[] = [];
    const w = createBatchWriter<number>({
      write: async (rows) => {
        if (fail-- > 0) throw new Error('database down');
        written.push(...rows);
      },
      intervalMs: 1,
      retryMs: 5,
      onError: (e) => errors.push(e),
    });
    w.push(1);
    w.push(2);
    await w.flush();
    expect(written).toEqual([1, 2]);
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(w.pending).toBe(0);
    await w.close();
  });

  it('with intervalMs 0, group-commits: rows of one turn share a batch, rows pushed during a write form the next, and durable() resolves only once a row is written', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    let gate = new Promise<void>((r) => (release = r));
    const w = createBatchWriter<number>({
      intervalMs: 0,
      write: async (rows) => {
        batches.push([...rows]);
        await gate;
      },
    });
    w.push(1);
    w.push(2);
    let firstDurable = false;
    const first = w.durable().then(() => (firstDurable = true));
    await new Promise((r) => setImmediate(r));
    expect(batches).toEqual([[1, 2]]);
    w.push(3);
    let secondDurable = false;
    const second = w.durable().then(() => (secondDurable = true));
    await new Promise((r) => setImmediate(r));
    expect(firstDurable).toBe(false);
    const previous = release;
    gate = new Promise<void>((r) => (release = r));
    previous();
    await first;
    expect(secondDurable).toBe(false);
    await new Promise((r) => setImmediate(r));
    expect(batches).toEqual([[1, 2], [3]]);
    release();
    await second;
    await expect(w.durable()).resolves.toBeUndefined();
    await w.close();
  });

  it('with intervalMs 0, a batch starts once the pushing code is done, before any other callback of the event loop', async () => {
    const batches: number[][] = [];
    const w = createBatchWriter<number>({ intervalMs: 0, write: async (rows) => void batches.push([...rows]) });
    let immediateRan = false;
    setImmediate(() => (immediateRan = true));
    w.push(1);
    w.push(2);
    // Not inside push: rows pushed by the same synchronous code share the batch.
    expect(batches).toEqual([]);
    await Promise.resolve();
    expect(batches).toEqual([[1, 2]]);
    expect(immediateRan).toBe(false);
    await w.close();
  });

  it("with startAfter 'turn', a batch starts after the event loop's current turn (not before what that turn still does), with every row pushed in it", async () => {
    const batches: number[][] = [];
    const w = createBatchWriter<number>({ intervalMs: 0, startAfter: 'turn', write: async (rows) => void batches.push([...rows]) });
    w.push(1);
    await Promise.resolve();
    // Later in the same turn (a stream's first chunk, more starts): still nothing written.
    w.push(2);
    for (let i = 0; i < 5; i++) await Promise.resolve();
    expect(batches).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(batches).toEqual([[1, 2]]);
    // Rows pushed while nothing is pending start the next turn's batch; durable() waits for it.
    w.push(3);
    await w.durable();
    expect(batches).toEqual([[1, 2], [3]]);
    await w.close();
  });

  it('retries a failed batch as it was: rows pushed after it started form the next batch, in push order', async () => {
    let fail = 1;
    const attempts: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const w = createBatchWriter<number>({
      intervalMs: 0,
      retryMs: 5,
      write: async (rows) => {
        attempts.push([...rows]);
        await gate;
        if (fail-- > 0) throw new Error('database down');
      },
    });
    w.push(1);
    w.push(2);
    await Promise.resolve();
    // Pushed while [1, 2] is being written (and is about to fail): not part of its retry.
    w.push(3);
    expect(w.pending).toBe(3);
    release();
    await w.durable();
    expect(attempts).toEqual([[1, 2], [1, 2], [3]]);
    expect(w.pending).toBe(0);
    await w.close();
  });

  it('durable() waits through failed writes until the rows land', async () => {
    let fail = 1;
    const w = createBatchWriter<number>({
      intervalMs: 0,
      retryMs: 5,
      write: async () => {
        if (fail-- > 0) throw new Error('database down');
      },
    });
    w.push(1);
    await w.durable();
    expect(w.pending).toBe(0);
    await w.close();
  });
});

describe('createBatchWriter with defer', () => {
  it('hands a due batch to defer and writes it when defer says go, with the rows pushed meanwhile; flush does not wait for it', async () => {
    vi.useFakeTimers();
    try {
      const batches: number[][] = [];
      const goes: Array<() => void> = [];
      const w = createBatchWriter<number>({ intervalMs: 10, write: async (rows) => void batches.push([...rows]), defer: (go) => goes.push(go) });
      w.push(1);
      await vi.advanceTimersByTimeAsync(9);
      expect(goes).toHaveLength(0);
      await vi.advanceTimersByTimeAsync(1);
      // Due: handed over, not written yet, and no second timer meanwhile.
      expect(goes).toHaveLength(1);
      w.push(2);
      await vi.advanceTimersByTimeAsync(100);
      expect(batches).toEqual([]);
      expect(goes).toHaveLength(1);
      goes[0]!();
      await vi.advanceTimersByTimeAsync(0);
      expect(batches).toEqual([[1, 2]]);
      // flush() writes at once, whatever defer would say.
      w.push(3);
      await w.flush();
      expect(batches).toEqual([[1, 2], [3]]);
      await w.close();
    } finally {
      vi.useRealTimers();
    }
  });
});
