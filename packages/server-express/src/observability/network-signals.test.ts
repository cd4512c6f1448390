import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { NetworkSignals } from './network-signals';

describe('NetworkSignals', () => {
  it('exports drops, stalls, time under backpressure and the bytes queued now, and keeps a bounded ring per tenant', async () => {
    const registry = new Registry();
    const signals = new NetworkSignals(registry, 3);
    const queue = { queuedBytes: 512 };
    const release = signals.track(queue);
    signals.drop('a', 1);
    signals.stall('a', 1_500, 2);
    signals.resume('b', 3);
    signals.drop('b', 4); // the ring holds 3: the first drop falls out
    const text = await registry.metrics();
    expect(text).toMatch(/^twin_client_drops_total 2$/m);
    expect(text).toMatch(/^twin_write_stalls_total 1$/m);
    expect(text).toMatch(/^twin_backpressure_seconds_total 1.5$/m);
    expect(text).toMatch(/^twin_queued_bytes 512$/m);
    expect(signals.since(0, 'a').map((s) => s.kind)).toEqual(['stall']);
    expect(signals.since(0, undefined)).toHaveLength(3);
    release();
    expect(await registry.metrics()).toMatch(/^twin_queued_bytes 0$/m);
  });
});
