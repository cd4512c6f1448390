import { describe, expect, it } from 'vitest';
import { createServerMetrics } from './server-metrics';

describe('server metrics', () => {
  it('counts writes in plain tallies that a scrape moves into the Prometheus counters, once each', async () => {
    const metrics = createServerMetrics({ defaultMetrics: false });
    metrics.countWrite(2, 100);
    metrics.countWrite(3, 50);
    const line = (text: string, name: string) => text.split('\n').find((l) => l.startsWith(`${name} `));
    const first = await metrics.registry.metrics();
    expect(line(first, 'twin_events_sent_total')).toBe('twin_events_sent_total 5');
    expect(line(first, 'twin_bytes_sent_total')).toBe('twin_bytes_sent_total 150');
    // A second scrape without writes reports the same totals (moved, not added again).
    expect(line(await metrics.registry.metrics(), 'twin_events_sent_total')).toBe('twin_events_sent_total 5');
    metrics.countWrite(1, 7);
    expect((await metrics.eventsSent.get()).values[0]!.value).toBe(6);
    expect(line(await metrics.registry.metrics(), 'twin_bytes_sent_total')).toBe('twin_bytes_sent_total 157');
  });

  it('tallies streams started and finished by label and moves them into their counters when read', async () => {
    const metrics = createServerMetrics({ defaultMetrics: false });
    metrics.countStarted('openai');
    metrics.countStarted('openai');
    metrics.countStarted('simulated');
    metrics.countFinished('openai', 'complete');
    metrics.countFinished('openai', 'client_abort');
    metrics.countFinished('openai', 'complete');
    const text = await metrics.registry.metrics();
    expect(text).toContain('twin_streams_started_total{provider="openai"} 2');
    expect(text).toContain('twin_streams_started_total{provider="simulated"} 1');
    expect(text).toContain('twin_streams_finished_total{provider="openai",reason="complete"} 2');
    expect(text).toContain('twin_streams_finished_total{provider="openai",reason="client_abort"} 1');
    // Moved, not added again on the next read; new counts add to them.
    metrics.countFinished('openai', 'complete');
    const values = (await metrics.streamsFinished.get()).values.map((v) => [v.labels.reason, v.value]);
    expect(values).toEqual(expect.arrayContaining([['complete', 3], ['client_abort', 1]]));
    expect((await metrics.streamsStarted.get()).values.find((v) => v.labels.provider === 'openai')!.value).toBe(2);
  });
});
