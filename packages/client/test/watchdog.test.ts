import { afterEach, describe, expect, it } from 'vitest';
import { streamEvents, type ClientStreamEvent } from '@twin/client';
import { fullText, startScriptedServer, textScript, type ScriptedServer } from './scripted-sse-server';

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function collect(iterable: AsyncIterable<ClientStreamEvent>): Promise<ClientStreamEvent[]> {
  const out: ClientStreamEvent[] = [];
  for await (const e of iterable) out.push(e);
  return out;
}

describe('heartbeat watchdog', () => {
  it('replaces a connection that went silent and resumes where it stopped', async () => {
    server = await startScriptedServer(textScript(5), [{ stallAfterEvents: 3 }]);
    const events = await collect(streamEvents({ url: server.url, heartbeatTimeoutMs: 150, reconnect: { initialDelayMs: 1 } }));
    const reconnecting = events.find((e) => e.type === 'reconnecting');
    expect(reconnecting?.type === 'reconnecting' && reconnecting.error.code).toBe('stream_stalled');
    expect(server.requests[1]?.lastEventId).toBe('2');
    expect(events.map((e) => (e.type === 'chunk' ? e.content.text : '')).join('')).toBe(fullText(5));
    expect(events.at(-1)?.type).toBe('complete');
  });

  it('keeps a quiet connection alive while heartbeats arrive', async () => {
    // Silent for content but heartbeating every 30 ms; the watchdog (150 ms) must not fire. The
    // iteration is ended by aborting after 600 ms, four watchdog periods.
    server = await startScriptedServer(textScript(5), [{ stallAfterEvents: 2, heartbeatMs: 30 }]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 600);
    const events = await collect(streamEvents({ url: server.url, heartbeatTimeoutMs: 150 }, { signal: controller.signal }));
    expect(events.map((e) => e.type)).toEqual(['open', 'start', 'chunk']);
    expect(server.requests.length).toBe(1);
  });

  it('ends quietly when aborted mid-stream', async () => {
    server = await startScriptedServer(textScript(5), [{ stallAfterEvents: 2 }]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const events = await collect(streamEvents({ url: server.url }, { signal: controller.signal }));
    expect(events.map((e) => e.type)).toEqual(['open', 'start', 'chunk']);
  });
});
