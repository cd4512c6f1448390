import { describe, expect, it } from 'vitest';
import { buildTrafficSeries } from '../admin/traffic-series';
import { ConnectionSamples } from './connection-samples';

describe('ConnectionSamples', () => {
  it("reads a sampled instant where the tenant ran nothing as 0 (not unknown), and never shows another tenant's counts", () => {
    const samples = new ConnectionSamples();
    samples.record(1_000, new Map([['b', { streams: 5, connections: 4 }]]));
    samples.record(31_000, new Map([['a', { streams: 2, connections: 1 }]]));
    const series = buildTrafficSeries({ finished: [], network: [], connections: samples.since(0, 'a'), now: 60_000, windowMs: 60_000, buckets: 3 });
    expect(series.buckets.map((b) => [b.streams, b.connections])).toEqual([
      [0, 0],
      [2, 1],
      [undefined, undefined],
    ]);
  });
});
