import { describe, expect, it, vi } from 'vitest';
import { createStreamClient, type ClientStreamStatus } from '@twin/client';
import { fullText, textScript } from './scripted-sse-server';
import { manualWatchdog } from './manual-watchdog';
import { scriptedServerPerTest } from './scripted-server-per-test';

// vi.waitFor's own 1 s default is a clock a loaded machine can outrun: only the test's limit catches a hang.
const WAIT = { timeout: 30_000 };

const startServer = scriptedServerPerTest();

function statuses(client: ReturnType<typeof createStreamClient>): ClientStreamStatus[] {
  const seen: ClientStreamStatus[] = [];
  client.subscribe(() => {
    const s = client.getSnapshot().status;
    if (seen.at(-1) !== s) seen.push(s);
  });
  return seen;
}

/** Resolves once the client has applied the event of `seq` (or a later one). */
function lastSeqReached(client: ReturnType<typeof createStreamClient>, seq: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const check = () => {
      if (client.getSnapshot().lastSeq >= seq) {
        off();
        resolve();
      }
    };
    const off = client.subscribe(check);
    check();
  });
}

describe('stream client state machine', () => {
  it('goes idle → connecting → streaming → done with text, usage, cost and metrics', async () => {
    const server = await startServer(textScript(4), [{ eventDelayMs: 5 }]);
    let t = 1_000;
    const client = createStreamClient({ url: server.url, now: () => (t += 10) });
    expect(client.getSnapshot().status).toBe('idle');
    const seen = statuses(client);
    const final = await client.start();
    expect(seen).toEqual(['connecting', 'streaming', 'done']);
    expect(final).toBe(client.getSnapshot());
    expect(final.text).toBe(fullText(4));
    expect(final.streamId).toBe('str_test');
    expect(final.usage).toEqual({ inputTokens: 5, outputTokens: 4 });
    expect(final.cost).toEqual({ currency: 'USD', total: '0.0123', estimated: false, recordId: 'bill_1' });
    expect(final.finishReason).toBe('stop');
    expect(final.metrics.ttftMs).toBeGreaterThan(0);
    expect(final.metrics.outputTokens).toBe(4);
    expect(final.metrics.tokensEstimated).toBe(false);
    expect(final.metrics.tokensPerSecond).toBeGreaterThan(0);
    expect(final.metrics.chunks).toBe(4);
  });

  it('shows reconnecting while a lost connection is replaced, then streams on', async () => {
    const server = await startServer(textScript(4), [{ stallAfterEvents: 2, suffix: '' }]);
    const client = createStreamClient({ url: server.url, reconnect: { initialDelayMs: 1 } });
    const seen = statuses(client);
    const final = await client.start();
    expect(seen).toEqual(['connecting', 'streaming', 'reconnecting', 'streaming', 'done']);
    expect(final.metrics.reconnects).toBe(1);
    expect(final.text).toBe(fullText(4));
  });

  it('stop() aborts, keeps the partial text and asks the server to cancel the stream', async () => {
    const server = await startServer(textScript(6), [{ stallAfterEvents: 3 }]);
    const client = createStreamClient({ url: server.url, apiKey: 'sk_1' });
    const done = client.start();
    await lastSeqReached(client, 2);
    client.stop();
    const final = await done;
    expect(final.status).toBe('aborted');
    expect(final.text).toBe('t0 t1 ');
    expect(final.cost).toBeUndefined();
    // The server's answer to the cancel carries the partial stream's receipt.
    await vi.waitFor(() => expect(client.getSnapshot().cost).toEqual({ currency: 'USD', total: '0.0042', estimated: true }), WAIT);
    expect(client.getSnapshot().status).toBe('aborted');
    expect(server.deletes.map((d) => [d.url, d.authorization])).toEqual([['/api/stream/str_test', 'Bearer sk_1']]);
  });

  it('retry() after a retryable error resumes the same stream and keeps its text', async () => {
    const server = await startServer(textScript(4), [{ stallAfterEvents: 3 }]);
    // The watchdog fires when the test has seen the stall (the last event before it), not on a clock.
    const watchdog = manualWatchdog(1_000);
    const client = createStreamClient({ url: server.url, heartbeatTimeoutMs: 1_000, reconnect: false, timers: watchdog.timers });
    const started = client.start();
    await lastSeqReached(client, 2);
    expect(watchdog.expire()).toBe(true);
    const failed = await started;
    expect(failed.status).toBe('error');
    expect(failed.error?.code).toBe('stream_stalled');
    const final = await client.retry();
    expect(final.status).toBe('done');
    expect(final.text).toBe(fullText(4));
    expect(server.requests[1]?.lastEventId).toBe('2');
  });

  it('retry() after a non-retryable error starts the request again', async () => {
    const server = await startServer(textScript(2), [{ status: 400, body: { code: 'invalid_request', message: 'bad' } }]);
    const client = createStreamClient({ url: server.url, body: { messages: [{ role: 'user', content: 'hi' }] } });
    expect((await client.start()).error?.code).toBe('invalid_request');
    const final = await client.retry();
    expect(final.status).toBe('done');
    expect(server.requests.map((r) => [r.method, r.lastEventId])).toEqual([['POST', undefined], ['POST', undefined]]);
  });

  it('start() while streaming replaces the old stream; reset() returns to idle', async () => {
    const server = await startServer(textScript(3), [{ stallAfterEvents: 2 }]);
    const client = createStreamClient({ url: server.url });
    const first = client.start();
    await lastSeqReached(client, 1); // the first stream is served (and stalled) before the second starts
    const second = await client.start({ body: { messages: [] } });
    expect(second.status).toBe('done');
    expect(second.text).toBe(fullText(3));
    expect((await first).status).toBe('aborted'); // the replaced stream ends aborted
    client.reset();
    expect(client.getSnapshot().status).toBe('idle');
    expect(client.getSnapshot().text).toBe('');
  });

  it('keeps the snapshot object stable between changes and stops notifying after unsubscribe', async () => {
    const server = await startServer(textScript(2));
    const client = createStreamClient({ url: server.url });
    expect(client.getSnapshot()).toBe(client.getSnapshot());
    let calls = 0;
    const off = client.subscribe(() => calls++);
    off();
    await client.start();
    expect(calls).toBe(0);
  });
});
