import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpenedDatabase } from '../src/index';
import { openSSE } from './read-sse';
import { createFirehoseProvider } from './test-providers';
import { openTestDatabase, startTestServer, type TestServer } from './test-server';

let db: OpenedDatabase;
let t: TestServer;
const hose = createFirehoseProvider();
beforeAll(async () => {
  db = await openTestDatabase();
  t = await startTestServer(db, {
    providers: [hose.provider],
    service: { maxQueuedBytesPerConnection: 256 * 1024, persistChunks: false },
  });
});
afterAll(async () => {
  await t.close();
  await db.close();
});

describe('slow client', () => {
  it('coalesces, then closes a client that does not read with an error event, keeping memory bounded', async () => {
    const before = process.memoryUsage().rss;
    // `pause`: the client never reads its socket, so the server sees backpressure.
    const r = await openSSE(`${t.url}/api/stream?prompt=flood`, { headers: { authorization: `Bearer ${t.keys.t1}` }, pause: true });
    const streamId = String(r.headers['x-twin-stream-id']);
    const stream = t.service.hub.get({ tenantId: (await t.store.listApiKeys()).find((k) => k.role === 'member')!.tenantId, apiKeyId: '', role: 'member' }, streamId)!;
    await stream.finished;
    const grew = process.memoryUsage().rss - before;
    expect(hose.state.aborted).toBe(true);
    // The provider was stopped after a bounded amount (kernel socket buffers + the per-connection
    // bound + the session's pending limit), not after the client's pace.
    expect(hose.state.bytes).toBeLessThan(64 * 1024 * 1024);
    expect(grew).toBeLessThan(256 * 1024 * 1024);
    const metrics = stream.getMetrics();
    expect(metrics.backpressureEvents).toBeGreaterThan(0);
    const record = await t.store.getBillingRecord(stream.tenantId, streamId);
    expect(record?.state).toBe('final');
    expect(record?.endReason).toBe('error');
    // Reading now shows the error event at the end of what was delivered.
    r.response.resume();
    const text: string[] = [];
    r.response.setEncoding('utf8');
    r.response.on('data', (s: string) => text.push(s));
    await r.done;
    const all = text.join('');
    expect(all).toMatch(/event: error\ndata: \{[^\n]*"code":"(slow_client|buffer_overflow)"/);
    // Bytes billed are bytes written to the socket: everything the client received, give or take
    // the closing error frame (written after the bill was made); never the frames the policy dropped.
    const received = Buffer.byteLength(all);
    const closing = Buffer.byteLength(all.slice(all.lastIndexOf('id: ')));
    expect(record!.bytes).toBeLessThanOrEqual(received);
    expect(record!.bytes).toBeGreaterThanOrEqual(received - closing);
  });
});
