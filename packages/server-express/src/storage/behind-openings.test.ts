import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createBehindOpenings } from './behind-openings';

describe('createBehindOpenings', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('lets every deferred write go, once, when an opening commits', () => {
    const behind = createBehindOpenings();
    const went: string[] = [];
    behind.defer(() => went.push('ending'), 20);
    behind.defer(() => went.push('audit'), 50);
    expect(went).toEqual([]);
    behind.committed();
    expect(went).toEqual(['ending', 'audit']);
    // Neither its timer nor a later commit sends it again.
    vi.advanceTimersByTime(100);
    behind.committed();
    expect(went).toEqual(['ending', 'audit']);
  });

  it('sends a deferred write after its longest wait when no opening commits, and forgets it then', () => {
    const behind = createBehindOpenings();
    const went: string[] = [];
    behind.defer(() => went.push('ending'), 20);
    behind.defer(() => went.push('audit'), 50);
    vi.advanceTimersByTime(19);
    expect(went).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(went).toEqual(['ending']);
    vi.advanceTimersByTime(30);
    expect(went).toEqual(['ending', 'audit']);
    behind.committed();
    expect(went).toEqual(['ending', 'audit']);
    expect(vi.getTimerCount()).toBe(0);
  });
});
