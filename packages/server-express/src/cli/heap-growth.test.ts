import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { limitHeapGrowth, TWIN_HEAP_GROWING_PERCENT } from './heap-growth';

describe('limitHeapGrowth', () => {
  it("sets V8's heap growing percent unless node's command line names it", () => {
    const set: string[] = [];
    expect(limitHeapGrowth(['--enable-source-maps'], (flags) => set.push(flags))).toBe(TWIN_HEAP_GROWING_PERCENT);
    expect(set).toEqual([`--heap-growing-percent=${TWIN_HEAP_GROWING_PERCENT}`]);
    for (const own of [['--heap-growing-percent=0'], ['--heap_growing_percent=200'], ['--heap-growing-percent', '80']]) {
      expect(limitHeapGrowth(own, (flags) => set.push(flags))).toBeUndefined();
    }
    expect(set).toHaveLength(1);
    // A flag that merely starts alike is not the operator's choice.
    expect(limitHeapGrowth(['--heap-growing-percentage=3'], (flags) => set.push(flags))).toBe(TWIN_HEAP_GROWING_PERCENT);
  });

  it("names a flag this node's V8 knows (an unknown one is refused)", () => {
    const run = (flag: string) => spawnSync(process.execPath, [flag, '-e', ''], { encoding: 'utf8' });
    expect(run(`--heap-growing-percent=${TWIN_HEAP_GROWING_PERCENT}`).status).toBe(0);
    expect(run(`--heap-growing-percentx=${TWIN_HEAP_GROWING_PERCENT}`).status).not.toBe(0);
  });
});
