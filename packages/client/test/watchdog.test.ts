import { describe, expect, it } from 'vitest';
import { streamEvents } from '@twin/client';
import { collect } from './collect';
import { fullText, textScript } from './scripted-sse-server';
import { scriptedServerPerTest } from './scripted-server-per-test';

const startServer = scriptedServerPerTest();

describe('heartbeat watchdog', () => {
  it('replaces a connection that went silent and resumes where it stopped', async () => {
    const server = await startServer(textScript(5), [{ stallAfterEvents: 3 }]);
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
    const server = await startServer(textScript(5), [{ stallAfterEvents: 2, heartbeatMs: 30 }]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 600);
    const events = await collect(streamEvents({ url: server.url, heartbeatTimeoutMs: 150 }, { signal: controller.signal }));
    expect(events.map((e) => e.type)).toEqual(['open', 'start', 'chunk']);
    expect(server.requests.length).toBe(1);
  });

  it('ends quietly when aborted mid-stream', async () => {
    const server = await startServer(textScript(5), [{ stallAfterEvents: 2 }]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const events = await collect(streamEvents({ url: server.url }, { signal: controller.signal }));
    expect(events.map((e) => e.type)).toEqual(['open', 'start', 'chunk']);
  });

  it('runs its watchdog and backoff on the injected timers (the timer seam)', async () => {
    // Timers that run 300 times faster than asked: a 60 s watchdog and 30 s backoff take 200 and 100 ms.
    const asked: number[] = [];
    const timers = {
      setTimeout: (callback: () => void, ms: number) => {
        asked.push(ms);
        return setTimeout(callback, ms / 300);
      },
      clearTimeout: (handle: unknown) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    };
    const server = await startServer(textScript(5), [{ stallAfterEvents: 3 }]);
    const events = await collect(
      streamEvents({ url: server.url, heartbeatTimeoutMs: 60_000, reconnect: { initialDelayMs: 30_000, maxDelayMs: 30_000 }, random: () => 1, timers }),
    );
    expect(events.find((e) => e.type === 'reconnecting')).toMatchObject({ error: { code: 'stream_stalled' } });
    expect(events.at(-1)?.type).toBe('complete');
    expect(asked).toContain(60_000);
    expect(asked.some((ms) => ms >= 15_000 && ms <= 30_000)).toBe(true);
  });
});
