import { describe, expect, it } from 'vitest';
import { registerHeartbeat } from './heartbeat-ticker';

describe('registerHeartbeat', () => {
  it('checks every member of a period from one shared ticker until it leaves', async () => {
    const beats = [0, 0];
    const stopA = registerHeartbeat(20, { beat: () => beats[0]!++ });
    const stopB = registerHeartbeat(20, { beat: () => beats[1]!++ });
    await new Promise((r) => setTimeout(r, 60));
    stopA();
    const a = beats[0]!;
    expect(a).toBeGreaterThan(2);
    expect(beats[1]).toBeGreaterThan(2);
    await new Promise((r) => setTimeout(r, 40));
    expect(beats[0]).toBe(a);
    expect(beats[1]!).toBeGreaterThan(a);
    stopB();
  });
});
