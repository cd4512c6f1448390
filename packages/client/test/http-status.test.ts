import { describe, expect, it } from 'vitest';
import { streamEvents } from '@twin/client';
import { collect } from './collect';
import { fullText, textScript } from './scripted-sse-server';
import { scriptedServerPerTest } from './scripted-server-per-test';

const startServer = scriptedServerPerTest();

describe('HTTP status handling', () => {
  it('does not retry a 4xx and reports the server error code and message', async () => {
    const server = await startServer(textScript(2), [
      { status: 401, body: { error: { code: 'unauthorized', message: 'Missing or invalid API key.', retryable: false } } },
    ]);
    const events = await collect(streamEvents({ url: server.url, reconnect: { initialDelayMs: 1 } }));
    expect(server.requests.length).toBe(1);
    expect(events).toHaveLength(1);
    const last = events[0];
    expect(last?.type).toBe('error');
    if (last?.type !== 'error') return;
    expect(last.error.code).toBe('unauthorized');
    expect(last.error.status).toBe(401);
    expect(last.error.message).toBe('Missing or invalid API key.');
    expect(last.error.retryable).toBe(false);
  });

  it('retries a 5xx and then streams normally', async () => {
    const server = await startServer(textScript(3), [{ status: 503, body: { code: 'capacity_exceeded', message: 'busy' } }]);
    const events = await collect(streamEvents({ url: server.url, reconnect: { initialDelayMs: 1 } }));
    expect(server.requests.length).toBe(2);
    expect(events.map((e) => e.type)).toEqual(['reconnecting', 'open', 'start', 'chunk', 'chunk', 'chunk', 'complete']);
    expect(events.map((e) => (e.type === 'chunk' ? e.content.text : '')).join('')).toBe(fullText(3));
  });

  it('waits at least Retry-After on a 429 before trying again', async () => {
    const server = await startServer(textScript(1), [{ status: 429, headers: { 'retry-after': '1' } }]);
    const events = await collect(streamEvents({ url: server.url, reconnect: { initialDelayMs: 1 } }));
    const reconnecting = events.find((e) => e.type === 'reconnecting');
    expect(reconnecting?.type === 'reconnecting' && reconnecting.delayMs).toBeGreaterThanOrEqual(1000);
    expect(events.at(-1)?.type).toBe('complete');
  });

  it('gives up after maxAttempts reconnects with the last error', async () => {
    const always503 = Array.from({ length: 10 }, () => ({ status: 503 }));
    const server = await startServer(textScript(1), always503);
    const events = await collect(streamEvents({ url: server.url, reconnect: { initialDelayMs: 1, maxAttempts: 3 } }));
    expect(server.requests.length).toBe(4); // the first try + 3 reconnects
    expect(events.filter((e) => e.type === 'reconnecting').map((e) => (e as { attempt: number }).attempt)).toEqual([1, 2, 3]);
    const last = events.at(-1);
    expect(last?.type === 'error' && last.error.message).toMatch(/gave up after 3 reconnects/);
    expect(last?.type === 'error' && last.error.status).toBe(503);
  });

  it('fails at once when reconnect is disabled', async () => {
    const server = await startServer(textScript(3), [{ endAtByte: 200 }]);
    const events = await collect(streamEvents({ url: server.url, reconnect: false }));
    expect(server.requests.length).toBe(1);
    const last = events.at(-1);
    expect(last?.type === 'error' && last.error.code).toBe('stream_truncated');
  });

  it('uses the server retry: hint as the backoff base', async () => {
    const server = await startServer(textScript(3), [{ retry: 300, endAtByte: 120 }]);
    const events = await collect(streamEvents({ url: server.url, reconnect: { initialDelayMs: 1 }, random: () => 0 }));
    const reconnecting = events.find((e) => e.type === 'reconnecting');
    // Equal jitter with random() = 0 gives half the base: 150 ms, not the 1 ms initial delay.
    expect(reconnecting?.type === 'reconnecting' && reconnecting.delayMs).toBe(150);
    expect(events.at(-1)?.type).toBe('complete');
  });

  it('puts a floor under the server retry: hint, so retry: 0 cannot make clients reconnect at once', async () => {
    const server = await startServer(textScript(3), [{ prefix: 'retry: 0\n\n', endAtByte: 120 }]);
    const events = await collect(streamEvents({ url: server.url, reconnect: { initialDelayMs: 1 }, random: () => 0 }));
    const reconnecting = events.find((e) => e.type === 'reconnecting');
    // Floor 250 ms, equal jitter with random() = 0: 125 ms (without the floor: 0).
    expect(reconnecting?.type === 'reconnecting' && reconnecting.delayMs).toBe(125);
    expect(events.at(-1)?.type).toBe('complete');
  });

  it('an id: in a block without data still moves the last event ID (WHATWG), so the resume starts after it', async () => {
    const server = await startServer(textScript(6), [{ stallAfterEvents: 3, suffix: 'id: 4\n\n' }]);
    const events = await collect(streamEvents({ url: server.url, reconnect: { initialDelayMs: 1 } }));
    expect(server.requests[1]?.lastEventId).toBe('4');
    expect(events.at(-1)?.type).toBe('complete');
  });

  it('reports a network failure as retryable and reconnects', async () => {
    const server = await startServer(textScript(2), [{ cutAtByte: 0 }]);
    const events = await collect(streamEvents({ url: server.url, reconnect: { initialDelayMs: 1 } }));
    const reconnecting = events.find((e) => e.type === 'reconnecting');
    expect(reconnecting?.type === 'reconnecting' && reconnecting.error.retryable).toBe(true);
    expect(events.at(-1)?.type).toBe('complete');
  });
});
