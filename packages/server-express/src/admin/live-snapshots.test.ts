import { DEFAULT_PRICING, type StreamMetrics } from '@twin/core';
import { describe, expect, it } from 'vitest';
import type { LiveStream } from '../stream/live-stream';
import { LiveSnapshots } from './live-snapshots';

// After the shipped prices' effective date.
const T0 = Date.parse('2025-06-01T00:00:00Z');

/** The parts of a running stream the live table reads. */
function fakeStream(metrics: Partial<StreamMetrics>): LiveStream & { metrics: StreamMetrics } {
  const m: StreamMetrics = { streamId: 's1', startedAt: T0, durationMs: 0, bytesSent: 0, eventsSent: 0, contentParts: 0, textChars: 0, reconnects: 0, backpressureEvents: 0, errors: 0, ...metrics };
  return {
    id: 's1',
    tenantId: 't',
    apiKeyId: 'k',
    providerName: 'simulated',
    model: 'sim-1',
    purpose: undefined,
    createdAt: new Date(T0),
    startedAt: T0,
    hasConnection: true,
    metrics: m,
    getMetrics: () => m,
  } as unknown as LiveStream & { metrics: StreamMetrics };
}

describe('LiveSnapshots', () => {
  it("shares one tenant's table for half a second and prices each stream at most every 5 s, as an estimate", () => {
    const snapshots = new LiveSnapshots();
    const stream = fakeStream({ textChars: 400, bytesSent: 1_000 });
    const first = snapshots.rows('t', () => [stream], DEFAULT_PRICING, T0 + 1_000);
    expect(snapshots.rows('t', () => [], DEFAULT_PRICING, T0 + 1_400)).toBe(first);
    expect(first[0]).toMatchObject({ outputTokens: 100, tokensEstimated: true, state: 'streaming', costSoFar: { currency: 'USD', estimated: true } });

    stream.metrics.textChars = 4_000;
    stream.metrics.bytesSent = 10_000_000;
    const later = snapshots.rows('t', () => [stream], DEFAULT_PRICING, T0 + 2_000);
    expect(later[0]!.outputTokens).toBe(1_000); // counters move every snapshot...
    expect(later[0]!.costSoFar).toEqual(first[0]!.costSoFar); // ...the price every 5 s
    const repriced = snapshots.rows('t', () => [stream], DEFAULT_PRICING, T0 + 7_000);
    expect(Number(repriced[0]!.costSoFar!.total)).toBeGreaterThan(Number(first[0]!.costSoFar!.total));
  });
});
