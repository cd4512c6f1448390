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
});
