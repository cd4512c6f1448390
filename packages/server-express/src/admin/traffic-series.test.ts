import { describe, expect, it } from 'vitest';
import type { FinishedSample } from '../observability/stream-stats';
import { buildTrafficSeries } from './traffic-series';

const sample = (at: number, endReason: string, durationMs: number, ttftMs?: number): FinishedSample => ({ tenantId: 't', at, ttftMs, durationMs, bytes: 1_000, events: 10, endReason });

describe('buildTrafficSeries', () => {
  it('buckets finished streams by end time with min/avg/p95/p99 durations, and classes timeouts and interruptions as errors but not client aborts', () => {
    const now = 60_000;
    const finished = [
      sample(1_000, 'complete', 100, 10),
      sample(2_000, 'complete', 300, 30),
      sample(3_000, 'error', 200),
      sample(31_000, 'timeout', 5_000),
      sample(32_000, 'client_abort', 50, 5),
      sample(-1, 'complete', 1), // before the window: left out
    ];
    const s = buildTrafficSeries({ finished, network: [], now, windowMs: 60_000, buckets: 2 });
    expect(s.buckets.map((b) => b.finished)).toEqual([3, 2]);
    expect(s.buckets[0]!.latency).toEqual({ min: 100, avg: 200, p95: 300, p99: 300 });
    expect(s.buckets[0]!.ttft).toEqual({ avg: 20, p95: 30 });
    expect(s.buckets[0]!.eventsPerSecond).toBeCloseTo(30 / 30);
    expect(s.totals.errors).toBe(2);
    expect(s.totals.aborts).toBe(1);
    expect(s.totals.errorRate).toBeCloseTo(2 / 5);
    expect(s.totals.completionRate).toBeCloseTo(2 / 5);
  });

  it('counts drops, resumes and stalls per bucket and scales drops to an hourly rate; an empty bucket has no latency (not 0)', () => {
    const s = buildTrafficSeries({
      finished: [],
      network: [
        { kind: 'drop', tenantId: 't', at: 10 },
        { kind: 'drop', tenantId: 't', at: 20 },
        { kind: 'resume', tenantId: 't', at: 30 },
        { kind: 'stall', tenantId: 't', at: 40, ms: 250 },
      ],
      now: 60_000,
      windowMs: 60_000,
      buckets: 6,
    });
    expect(s.totals).toMatchObject({ drops: 2, resumes: 1, stalls: 1, stallMs: 250, dropsPerHour: 120 });
    expect(s.buckets[0]!.latency.avg).toBeUndefined();
    expect(s.buckets).toHaveLength(6);
  });

  it('charts the most streams and connections sampled in each bucket, adding the tenants of one instant; a bucket without samples has none', () => {
    const s = buildTrafficSeries({
      finished: [],
      network: [],
      connections: [
        { at: 1_000, tenantId: 'a', streams: 3, connections: 2 },
        { at: 1_000, tenantId: 'b', streams: 1, connections: 1 },
        { at: 11_000, tenantId: 'a', streams: 2, connections: 2 },
        { at: 40_000, tenantId: 'a', streams: 7, connections: 5 },
      ],
      now: 60_000,
      windowMs: 60_000,
      buckets: 3,
    });
    expect(s.buckets.map((b) => [b.streams, b.connections])).toEqual([
      [4, 3],
      [undefined, undefined],
      [7, 5],
    ]);
  });
});
