import { describe, expect, it, vi } from 'vitest';
import { createGroupCommit } from './group-commit';

describe('createGroupCommit with defer', () => {
  it('commits a due batch when defer says go, items submitted meanwhile included, each with its own result', async () => {
    vi.useFakeTimers();
    try {
      const batches: number[][] = [];
      const goes: Array<() => void> = [];
      const group = createGroupCommit<number, number>({
        intervalMs: 20,
        run: async (items) => {
          batches.push([...items]);
          return items.map((i) => i * 10);
        },
        defer: (go) => goes.push(go),
      });
      const first = group.submit(1);
      await vi.advanceTimersByTimeAsync(20);
      expect(goes).toHaveLength(1);
      const second = group.submit(2);
      await vi.advanceTimersByTimeAsync(100);
      expect(batches).toEqual([]);
      expect(goes).toHaveLength(1);
      goes[0]!();
      expect(await first).toBe(10);
      expect(await second).toBe(20);
      expect(batches).toEqual([[1, 2]]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('flush commits at once, without waiting for defer', async () => {
    const batches: number[][] = [];
    const group = createGroupCommit<number, number>({
      intervalMs: 1,
      run: async (items) => {
        batches.push([...items]);
        return items;
      },
      defer: () => {},
    });
    const one = group.submit(1);
    await group.flush();
    expect(await one).toBe(1);
    expect(batches).toEqual([[1]]);
  });
});
