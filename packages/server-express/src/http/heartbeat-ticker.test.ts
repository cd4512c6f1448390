import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerHeartbeat, unregisterHeartbeat } from './heartbeat-ticker';

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
    const a = { beat: () => beats[0]!++ };
    const b = { beat: () => beats[1]!++ };
    registerHeartbeat(20, a);
    registerHeartbeat(20, b);
    expect(vi.getTimerCount()).toBe(1);
    // A quarter of the 20 ms period: one check every 5 ms.
    vi.advanceTimersByTime(60);
    expect(beats).toEqual([12, 12]);
    unregisterHeartbeat(20, a);
    vi.advanceTimersByTime(40);
    expect(beats).toEqual([12, 20]);
    unregisterHeartbeat(20, b);
    expect(vi.getTimerCount()).toBe(0);
  });
});
