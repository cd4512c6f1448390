import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerHeartbeat } from './heartbeat-ticker';

// Fake timers: the counts below are exact, however loaded the machine is.
beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('registerHeartbeat', () => {
  it('checks every member of a period from one shared ticker until it leaves', () => {
    const beats = [0, 0];
    const stopA = registerHeartbeat(20, { beat: () => beats[0]!++ });
    const stopB = registerHeartbeat(20, { beat: () => beats[1]!++ });
    expect(vi.getTimerCount()).toBe(1);
    // A quarter of the 20 ms period: one check every 5 ms.
    vi.advanceTimersByTime(60);
    expect(beats).toEqual([12, 12]);
    stopA();
    vi.advanceTimersByTime(40);
    expect(beats).toEqual([12, 20]);
    stopB();
    expect(vi.getTimerCount()).toBe(0);
  });
});
