import { describe, expect, it } from 'vitest';
import { streamEvents, type ClientStreamEvent } from '@twin/client';
import { collect } from './collect';
import { fullText, textScript } from './scripted-sse-server';
import { scriptedServerPerTest } from './scripted-server-per-test';

const startServer = scriptedServerPerTest();

describe('heartbeat watchdog', () => {
  it('replaces a connection that went silent and resumes where it stopped', async () => {
    const server = await startServer(textScript(5), [{ stallAfterEvents: 3 }]);
    // The watchdog's timers are held by the test and fired once the last event before the stall
    // (seq 2) arrived, so a loaded machine's late delivery cannot trip it early; backoff runs on the real ones.
    const watchdogs = new Set<() => void>();
    const timers = {
      setTimeout: (callback: () => void, ms: number) => {
        if (ms !== 60_000) return setTimeout(callback, ms);
        watchdogs.add(callback);
        return callback;
      },
      clearTimeout: (handle: unknown) => {
        if (!watchdogs.delete(handle as () => void)) clearTimeout(handle as ReturnType<typeof setTimeout>);
      },
    };
    const events: ClientStreamEvent[] = [];
    let fired = false;
    for await (const e of streamEvents({ url: server.url, heartbeatTimeoutMs: 60_000, reconnect: { initialDelayMs: 1 }, timers })) {
      events.push(e);
      if (!fired && 'seq' in e && e.seq === 2) {
        fired = true;
        for (const watchdog of [...watchdogs]) watchdog();
      }
    }
    const reconnecting = events.find((e) => e.type === 'reconnecting');
    expect(reconnecting?.type === 'reconnecting' && reconnecting.error.code).toBe('stream_stalled');
    expect(server.requests[1]?.lastEventId).toBe('2');
    expect(events.map((e) => (e.type === 'chunk' ? e.content.text : '')).join('')).toBe(fullText(5));
    expect(events.at(-1)?.type).toBe('complete');
  });

  it('keeps a quiet connection alive while heartbeats arrive', async () => {
    // Manual timers that never fire by themselves: what is checked is that every heartbeat re-arms
    // the watchdog (clears the old timer, sets a new one), not how late a loaded machine delivers them.
    let armed = 0;
    let cleared = 0;
    const timers = {
      setTimeout: () => ++armed,
      clearTimeout: (handle: unknown) => {
        if (handle !== undefined) cleared++;
      },
    };
    const server = await startServer(textScript(5), [{ stallAfterEvents: 2, heartbeatMs: 5 }]);
    const controller = new AbortController();
    const done = collect(streamEvents({ url: server.url, heartbeatTimeoutMs: 150, timers }, { signal: controller.signal }));
    // Wait (on the count, not a clock) until heartbeats re-armed the watchdog several times, then stop.
    await expect.poll(() => armed, { timeout: 20_000, interval: 5 }).toBeGreaterThanOrEqual(8);
    controller.abort();
    expect((await done).map((e) => e.type)).toEqual(['open', 'start', 'chunk']);
    expect(cleared).toBeGreaterThanOrEqual(armed - 1);
    expect(server.requests.length).toBe(1);
  });

  it('ends quietly when aborted mid-stream', async () => {
    const server = await startServer(textScript(5), [{ stallAfterEvents: 2 }]);
    const controller = new AbortController();
    const types: string[] = [];
    for await (const e of streamEvents({ url: server.url }, { signal: controller.signal })) {
      types.push(e.type);
      if (e.type === 'chunk') controller.abort();
    }
    expect(types).toEqual(['open', 'start', 'chunk']);
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
