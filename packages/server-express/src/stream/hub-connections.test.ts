import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { AuthContext } from '../auth/authenticator';
import type { SSEResponse, SSEResponseOptions } from '../http/sse-response';
import { NetworkSignals } from '../observability/network-signals';
import type { ConnectionTarget } from './connection-target';
import { HubConnections } from './hub-connections';
import type { StreamHubOptions } from './stream-hub-options';
import type { WireFormat } from './wire-format';

// The connection object the hub opens a response with: its callbacks are methods the response calls
// on it (no closure per connection), so this checks each one still reaches the stream, the signals
// and the hub's counts.
describe('HubConnections.open', () => {
  it('reports stalls, drains, writes and client closes to the stream and the signals, and gives the slot back on close', async () => {
    const registry = new Registry();
    const signals = new NetworkSignals(registry);
    const gauge: number[] = [];
    const events: unknown[] = [];
    const deps = {
      metrics: { openConnections: { set: (n: number) => gauge.push(n) } },
      store: { events: { push: (row: unknown) => events.push(row) } },
    };
    const options = { config: { retryMs: 1_000, heartbeatIntervalMs: 15_000 }, maxQueuedBytesPerConnection: 4_096, detachGraceMs: 7, signals };
    const hub = new HubConnections(deps as never, options as unknown as StreamHubOptions);
    const calls: string[] = [];
    const stream: ConnectionTarget = {
      id: 'str_1',
      tenantId: 'ten_1',
      isRunning: true,
      detach: (_response, graceMs) => calls.push(`detach ${graceMs}`),
      onOverflow: () => calls.push('overflow'),
      onDrain: () => calls.push('drain'),
      recordWritten: (bytes, events) => calls.push(`written ${bytes} ${events}`),
    };
    let opened: SSEResponseOptions | undefined;
    const response = { queuedBytes: 100 } as SSEResponse;
    const format: WireFormat = {
      createWriter: () => undefined as never,
      openResponse: (_req, _res, o) => {
        opened = o;
        return response;
      },
      headers: { 'X-Extra': 'yes' },
    };
    const res = Object.assign(new EventEmitter(), { writableLength: 20 }) as unknown as ServerResponse;
    const auth = { apiKeyId: 'key_1', tenantId: 'ten_1' } as AuthContext;

    expect(hub.open(auth, stream, {} as IncomingMessage, res, 'identity', format)).toBe(response);
    // A format of the app's own may spread the options to change one and take callbacks off them:
    // what it gets must survive both.
    const o = { ...opened! };
    const { onWritten, onBackpressure, onDrain } = o;
    expect([hub.count, o.encoding, o.retryMs, o.heartbeatIntervalMs, o.maxQueuedBytes]).toEqual([1, 'identity', 1_000, 15_000, 4_096]);
    expect(o.headers).toEqual({ 'X-Twin-Stream-Id': 'str_1', 'X-Extra': 'yes' });
    expect(await registry.metrics()).toMatch(/^twin_queued_bytes 120$/m);

    onWritten!(10, 2);
    onBackpressure!();
    onDrain!();
    o.onOverflow();
    o.onClientClose();
    expect(calls).toEqual(['written 10 2', 'drain', 'overflow', 'detach 7']);
    expect(signals.since(0, 'ten_1').map((s) => s.kind)).toEqual(['stall', 'drop']);
    expect(events).toMatchObject([{ streamId: 'str_1', type: 'stream.detach', data: { graceMs: 7 } }]);

    res.emit('close');
    res.emit('close');
    expect(hub.count).toBe(0);
    expect(gauge).toEqual([1, 0]);
    expect(await registry.metrics()).toMatch(/^twin_queued_bytes 0$/m);
  });

  it("gives a format of the app's own a plain options object, not the connection with its getters and methods", () => {
    const deps = { metrics: { openConnections: { set: () => {} } }, store: { events: { push: () => {} } } };
    const options = { config: { retryMs: 1_000, heartbeatIntervalMs: 15_000 }, maxQueuedBytesPerConnection: 4_096, detachGraceMs: 0 };
    const hub = new HubConnections(deps as never, options as unknown as StreamHubOptions);
    const stream = { id: 'str_2', tenantId: 'ten_1', isRunning: false } as ConnectionTarget;
    const res = Object.assign(new EventEmitter(), { writableLength: 0 }) as unknown as ServerResponse;
    const seen: SSEResponseOptions[] = [];
    const builtIn = (_req: IncomingMessage, _res: ServerResponse, o: SSEResponseOptions) => (seen.push(o), {} as SSEResponse);
    const custom: WireFormat = { createWriter: () => undefined as never, openResponse: builtIn };
    hub.open({ apiKeyId: 'k', tenantId: 'ten_1' } as AuthContext, stream, {} as IncomingMessage, res, 'identity', custom);
    // Not the built-in function: a plain object with the callbacks as own properties.
    expect(Object.getPrototypeOf(seen[0])).toBe(Object.prototype);
    expect(Object.keys(seen[0]!)).toEqual(expect.arrayContaining(['retryMs', 'onClientClose', 'onDrain', 'onWritten']));
  });
});
