import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSimulatedProvider, type StreamPart } from '@twin/core';
import { collect, last, textOf } from './collect';

const request = { messages: [{ role: 'user' as const, content: 'Tell me a story' }] };

/** A fake clock whose sleep advances time instantly, so tests are fast and deterministic. */
function fakeClock() {
  let now = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    env: {
      now: () => now,
      sleep: async (ms: number, signal?: AbortSignal) => {
        sleeps.push(ms);
        if (!signal?.aborted) now += ms;
      },
    },
  };
}

/**
 * A fake sleep with a callback form (core's SchedulingSleep): `schedule` calls back on a microtask
 * with time advanced at once (or with `aborted` when its signal is aborted by then); `aborts` names
 * the sleeps (1-based) whose wait the caller's abort cuts short. Its promise form must not be used.
 */
function fakeSchedulingClock(controller?: AbortController, aborts: number[] = []) {
  let now = 0;
  const sleeps: number[] = [];
  const sleep = Object.assign(
    async () => {
      throw new Error('the promise form was used');
    },
    {
      schedule(ms: number, signal: AbortSignal | undefined, then: (aborted: boolean) => void) {
        sleeps.push(ms);
        if (aborts.includes(sleeps.length)) controller!.abort();
        queueMicrotask(() => {
          const aborted = signal?.aborted === true;
          if (!aborted) now += ms;
          then(aborted);
        });
      },
    },
  );
  return { sleeps, env: { now: () => now, sleep } };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('simulated provider', () => {
  it('is deterministic: same seed and request give the same stream', async () => {
    const a = await collect(createSimulatedProvider({ seed: 7, tokensPerSecond: Infinity }).stream(request));
    const b = await collect(createSimulatedProvider({ seed: 7, tokensPerSecond: Infinity }).stream(request));
    const c = await collect(createSimulatedProvider({ seed: 8, tokensPerSecond: Infinity }).stream(request));
    expect(a).toEqual(b);
    expect(textOf(a)).not.toEqual(textOf(c));
  });

  it('reads the generated answer lazily with exactly the deltas of the whole generated text (which stop sequences still search)', async () => {
    for (const tokensPerChunk of [1, 3]) {
      const lazy = await collect(createSimulatedProvider({ seed: 3, outputTokens: 40, tokensPerChunk, tokensPerSecond: Infinity }).stream(request));
      // A stop sequence that never matches makes the provider build the whole text first.
      const whole = await collect(
        createSimulatedProvider({ seed: 3, outputTokens: 40, tokensPerChunk, tokensPerSecond: Infinity }).stream({ ...request, stop: ['\u0000'] }),
      );
      expect(lazy).toEqual(whole);
      const deltas = lazy.filter((p): p is Extract<StreamPart, { type: 'text-delta' }> => p.type === 'text-delta').map((p) => p.text);
      // The quoted prompt is one delta (one word of pacing), then 40 generated words.
      expect(deltas[0]).toMatch(tokensPerChunk === 1 ? /^Simulated answer to "Tell me a story": $/ : /^Simulated answer to "Tell me a story": \S+ \S+ $/);
      expect(deltas).toHaveLength(Math.ceil(41 / tokensPerChunk));
      const generated = textOf(lazy).slice('Simulated answer to "Tell me a story": '.length);
      expect(generated.split(' ')).toHaveLength(40);
      expect(generated.endsWith('.')).toBe(true);
    }
    const one = await collect(createSimulatedProvider({ seed: 3, outputTokens: 1, tokensPerSecond: Infinity }).stream(request));
    expect(textOf(one)).toMatch(/^Simulated answer to "Tell me a story": \S+\.$/);
  });

  it('emits metadata, one delta per word, usage counted at four characters a token, then finish', async () => {
    const parts = await collect(createSimulatedProvider({ text: 'one two three', tokensPerSecond: Infinity }).stream(request));
    expect(parts.map((p) => p.type)).toEqual(['response-metadata', 'text-delta', 'text-delta', 'text-delta', 'usage', 'finish']);
    expect(textOf(parts)).toBe('one two three');
    const usage = parts.find((p): p is Extract<StreamPart, { type: 'usage' }> => p.type === 'usage')!.usage;
    // The same count as its estimate after an abort and a client's live estimate: ceil(13 / 4).
    expect(usage.outputTokens).toBe(4);
    expect(usage.inputTokens).toBeGreaterThan(0);
    expect(usage.estimated).toBeUndefined();
    expect(last(parts)).toEqual({ type: 'finish', reason: 'stop', rawReason: 'stop' });
  });

  it('groups tokensPerChunk words per delta, the last one shorter, and counts every character once', async () => {
    const parts = await collect(createSimulatedProvider({ text: 'a b c d e f g', tokensPerChunk: 3, tokensPerSecond: Infinity }).stream(request));
    expect(parts.filter((p) => p.type === 'text-delta').map((p) => (p as { text: string }).text)).toEqual(['a b c ', 'd e f ', 'g']);
    expect(parts.find((p): p is Extract<StreamPart, { type: 'usage' }> => p.type === 'usage')!.usage.outputTokens).toBe(4);
    expect(last(parts)).toMatchObject({ type: 'finish', reason: 'stop' });
  });

  it('paces tokens with the injected sleep: first-token latency, then 1000/rate ms per token', async () => {
    const clock = fakeClock();
    const provider = createSimulatedProvider({ text: 'a b c d', tokensPerSecond: 10, firstTokenLatencyMs: 250, env: clock.env });
    await collect(provider.stream(request));
    expect(clock.sleeps).toEqual([250, 100, 100, 100]);
  });

  it('paces on an absolute schedule: a clock whose sleeps run late does not lower the rate', async () => {
    // Every sleep returns `late` ms after it was due, as timers under load do.
    for (const late of [30, 250]) {
      let now = 0;
      const sleeps: number[] = [];
      const env = {
        now: () => now,
        sleep: async (ms: number) => {
          sleeps.push(ms);
          now += ms + late;
        },
      };
      const provider = createSimulatedProvider({ text: 'a b c d e f', tokensPerSecond: 10, env });
      const at: number[] = [];
      await provider.streamParts!(request, {}, (parts) => {
        for (const part of parts) if (part.type === 'text-delta') at.push(now);
      });
      // Word k is due at k·100 ms: it goes out at most one lateness after that, never later.
      at.forEach((t, k) => {
        expect(t).toBeGreaterThanOrEqual(k * 100);
        expect(t).toBeLessThanOrEqual(k * 100 + late);
      });
      expect(at).toHaveLength(6);
      // Only the time left is slept; a word already due is not waited for.
      expect(sleeps).toEqual(late === 30 ? [100, 70, 70, 70, 70] : [100, 50]);
    }
  });

  it('with its own timers, waits once per word and leaves no timer or abort listener behind', async () => {
    vi.useFakeTimers();
    const controller = new AbortController();
    const provider = createSimulatedProvider({ text: 'a b c d', tokensPerSecond: 10 });
    const deltas: string[] = [];
    const parts: StreamPart[] = [];
    const done = provider.streamParts!(request, { signal: controller.signal }, (batch) => {
      parts.push(...batch);
      for (const part of batch) if (part.type === 'text-delta') deltas.push(part.text);
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(deltas).toEqual(['a ']);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(deltas).toEqual(['a ', 'b ']);
    // The abort wakes the pending wait at once.
    controller.abort();
    await done;
    expect(last(parts)).toMatchObject({ type: 'error', error: { code: 'aborted' } });
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('honours maxTokens (finish length) and stop sequences', async () => {
    const p = createSimulatedProvider({ text: 'a b c d e f', tokensPerSecond: Infinity });
    // maxTokens counts usage tokens (four characters each): 2 tokens = 8 characters.
    const limited = await collect(p.stream({ ...request, maxTokens: 2 }));
    expect(textOf(limited)).toBe('a b c d ');
    expect(limited.find((x): x is Extract<StreamPart, { type: 'usage' }> => x.type === 'usage')!.usage.outputTokens).toBe(2);
    expect(last(limited)).toMatchObject({ type: 'finish', reason: 'length' });
    const stopped = await collect(p.stream({ ...request, stop: [' d'] }));
    expect(textOf(stopped)).toBe('a b c');
    expect(last(stopped)).toMatchObject({ type: 'finish', reason: 'stop', rawReason: 'stop_sequence' });
  });

  it('streams reasoning first and tool calls last (finish tool-calls)', async () => {
    const p = createSimulatedProvider({
      text: 'ok',
      reasoning: 'think hard',
      toolCalls: [{ name: 'get_weather', args: { city: 'Paris' } }],
      tokensPerSecond: Infinity,
    });
    const parts = await collect(p.stream(request));
    expect(parts[1]).toEqual({ type: 'reasoning-delta', text: 'think ' });
    expect(parts.find((x) => x.type === 'tool-call')).toMatchObject({ toolName: 'get_weather', args: { city: 'Paris' }, argsText: '{"city":"Paris"}' });
    expect(last(parts)).toMatchObject({ type: 'finish', reason: 'tool-calls' });
    const usage = parts.find((x) => x.type === 'usage');
    expect(usage).toMatchObject({ usage: { reasoningTokens: 3 } }); // ceil('think hard'.length / 4)
  });

  it('injects an error before the first token as a typed, retryable error part', async () => {
    const p = createSimulatedProvider({ failure: { kind: 'error-before-first-token', code: 'provider_rate_limited', retryAfterMs: 1200 } });
    const parts = await collect(p.stream(request));
    expect(parts).toHaveLength(1);
    expect(parts[0]).toMatchObject({
      type: 'error',
      error: { code: 'provider_rate_limited', retryable: true, provider: 'simulated', retryAfterMs: 1200 },
      usage: { estimated: true, outputTokens: 0 },
    });
  });

  it('a mid-stream error keeps the content sent and carries estimated usage', async () => {
    const p = createSimulatedProvider({ text: 'a b c d e', tokensPerSecond: Infinity, failure: { kind: 'mid-stream-error', afterTokens: 2 } });
    const parts = await collect(p.stream(request));
    expect(textOf(parts)).toBe('a b ');
    expect(last(parts)).toMatchObject({ type: 'error', error: { code: 'provider_overloaded' }, usage: { estimated: true, outputTokens: 1 } });
  });

  it('a truncated stream is reported as stream_truncated, never as success', async () => {
    const p = createSimulatedProvider({ text: 'a b c d e', tokensPerSecond: Infinity, failure: { kind: 'truncate', afterTokens: 3 } });
    const parts = await collect(p.stream(request));
    expect(parts.some((x) => x.type === 'finish')).toBe(false);
    expect(last(parts)).toMatchObject({ type: 'error', error: { code: 'stream_truncated', retryable: true }, usage: { estimated: true } });
  });

  it('a stall lasts until the caller aborts, then ends with aborted', async () => {
    // An injected sleep that returns at once, as if its time had passed: the stall sleeps again and
    // again, and only the caller's abort (here on its third sleep) ends it. No wall clock decides.
    const controller = new AbortController();
    const stalls: number[] = [];
    const env = {
      sleep: async (ms: number) => {
        stalls.push(ms);
        if (stalls.length === 3) controller.abort();
      },
    };
    const p = createSimulatedProvider({ text: 'a b c d e', tokensPerSecond: Infinity, failure: { kind: 'stall', afterTokens: 1 }, env });
    const parts: StreamPart[] = [];
    for await (const part of p.stream(request, { signal: controller.signal })) parts.push(part);
    expect(stalls.length).toBe(3);
    expect(last(parts)).toMatchObject({ type: 'error', error: { code: 'aborted', retryable: false } });
  });

  it('failure injection can depend on the call index', async () => {
    const p = createSimulatedProvider({
      text: 'hi',
      tokensPerSecond: Infinity,
      failure: ({ call }) => (call === 0 ? { kind: 'error-before-first-token' } : undefined),
    });
    expect(last(await collect(p.stream(request)))).toMatchObject({ type: 'error' });
    expect(last(await collect(p.stream(request)))).toMatchObject({ type: 'finish' });
  });

  it('quotes the prompt, calls an offered tool the prompt names, and answers a tool result by quoting it', async () => {
    const p = createSimulatedProvider({ outputTokens: 2, tokensPerSecond: Infinity });
    const tools = [{ name: 'get_time', description: 'the time', parameters: { type: 'object', properties: { zone: { type: 'string' } } } }];
    const plain = await collect(p.stream({ messages: [{ role: 'user', content: 'What time is it?' }], tools }));
    expect(textOf(plain)).toMatch(/^Simulated answer to "What time is it\?": /);
    const called = await collect(p.stream({ messages: [{ role: 'user', content: 'use get_time please' }], tools }));
    expect(called.find((x) => x.type === 'tool-call')).toMatchObject({ toolName: 'get_time', args: { zone: 'use get_time please' } });
    expect(last(called)).toMatchObject({ type: 'finish', reason: 'tool-calls' });
    const answered = await collect(
      p.stream({
        messages: [
          { role: 'user', content: 'use get_time please' },
          { role: 'assistant', content: [{ type: 'tool-call', toolCallId: 'c1', toolName: 'get_time', args: {} }] },
          { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'c1', result: { time: '12:00' } }] },
        ],
        tools,
      }),
    );
    expect(textOf(answered)).toMatch(/^Simulated answer: get_time returned \{"time":"12:00"\}\. /);
    expect(p.simulated).toBe(true);
    // A long prompt is quoted by its first words only.
    const long = await collect(p.stream({ messages: [{ role: 'user', content: `${'word '.repeat(50_000)}end` }] }));
    expect(textOf(long)).toMatch(/^Simulated answer to "(word ){11}word…": /);
  });

  it('runs 10,000 concurrent streams on the injected timer', async () => {
    const p = createSimulatedProvider({ outputTokens: 5, tokensPerSecond: 10 });
    const results = await Promise.all(Array.from({ length: 10_000 }, () => collect(p.stream(request))));
    expect(results.every((parts) => last(parts).type === 'finish')).toBe(true);
  });
});

describe('simulated provider, pushed (streamParts)', () => {
  const pushed = async (provider: ReturnType<typeof createSimulatedProvider>, signal?: AbortSignal): Promise<StreamPart[]> => {
    const parts: StreamPart[] = [];
    await provider.streamParts!(request, signal ? { signal } : {}, (batch) => parts.push(...batch));
    return parts;
  };

  it('pushes the same parts as stream() pulls, whatever the stream does', async () => {
    const variants = [
      { seed: 4, outputTokens: 12 },
      { seed: 4, outputTokens: 12, tokensPerChunk: 5, reasoning: 'thinking it over' },
      { toolCalls: [{ name: 'lookup', args: { q: 'x' } }] },
      { failure: { kind: 'mid-stream-error' as const, afterTokens: 2 } },
      { failure: { kind: 'truncate' as const, afterTokens: 2 } },
      { failure: { kind: 'error-before-first-token' as const } },
    ];
    for (const options of variants) {
      const pulled = await collect(createSimulatedProvider({ ...options, tokensPerSecond: Infinity }).stream(request));
      expect(await pushed(createSimulatedProvider({ ...options, tokensPerSecond: Infinity }))).toEqual(pulled);
    }
  });

  it('ends with an aborted error part once its signal fires', async () => {
    const controller = new AbortController();
    const provider = createSimulatedProvider({ tokensPerSecond: 100, env: fakeClock().env });
    const parts: StreamPart[] = [];
    await provider.streamParts!(request, { signal: controller.signal }, (batch) => {
      parts.push(...batch);
      if (parts.filter((p) => p.type === 'text-delta').length === 2) controller.abort();
    });
    expect(parts.filter((p) => p.type === 'text-delta')).toHaveLength(2);
    expect(last(parts)).toMatchObject({ type: 'error', error: { code: 'aborted' } });
  });

  it("paces through its sleep's callback form when it has one: the same parts and waits as through the promise", async () => {
    const options = { text: 'a b c d', tokensPerSecond: 10, firstTokenLatencyMs: 250 };
    const viaPromise = fakeClock();
    const pulled = await collect(createSimulatedProvider({ ...options, env: viaPromise.env }).stream(request));
    const viaCallback = fakeSchedulingClock();
    expect(await pushed(createSimulatedProvider({ ...options, env: viaCallback.env }))).toEqual(pulled);
    expect(viaCallback.sleeps).toEqual([250, 100, 100, 100]);
    expect(viaPromise.sleeps).toEqual(viaCallback.sleeps);
  });

  it('sees an abort made between two wakes on time (in the consumer) and one that cut a wait short', async () => {
    // In the consumer's callback, right after a wake on time.
    const inConsumer = new AbortController();
    const provider = createSimulatedProvider({ tokensPerSecond: 10, env: fakeSchedulingClock().env });
    const parts: StreamPart[] = [];
    await provider.streamParts!(request, { signal: inConsumer.signal }, (batch) => {
      parts.push(...batch);
      if (parts.filter((p) => p.type === 'text-delta').length === 2) inConsumer.abort();
    });
    expect(parts.filter((p) => p.type === 'text-delta')).toHaveLength(2);
    expect(last(parts)).toMatchObject({ type: 'error', error: { code: 'aborted' } });
    // During the third wait: it wakes with `aborted`, and nothing more is sent.
    const inWait = new AbortController();
    const clock = fakeSchedulingClock(inWait, [3]);
    const cut = await pushed(createSimulatedProvider({ tokensPerSecond: 10, env: clock.env }), inWait.signal);
    expect(clock.sleeps).toHaveLength(3);
    expect(cut.filter((p) => p.type === 'text-delta')).toHaveLength(3);
    expect(last(cut)).toMatchObject({ type: 'error', error: { code: 'aborted' } });
  });

  it('ends a wait on the abort itself: its scheduling sleep is given no signal to keep a record of, and a wake after the abort sends nothing', async () => {
    const signals: Array<AbortSignal | undefined> = [];
    const held: Array<(aborted: boolean) => void> = [];
    let now = 0;
    const sleep = Object.assign(
      async () => {
        throw new Error('the promise form was used');
      },
      {
        // Holds every wait: only the abort ends one.
        schedule(ms: number, signal: AbortSignal | undefined, then: (aborted: boolean) => void) {
          signals.push(signal);
          now += ms;
          held.push(then);
        },
      },
    );
    const controller = new AbortController();
    const parts: StreamPart[] = [];
    const done = createSimulatedProvider({ tokensPerSecond: 10, env: { now: () => now, sleep } }).streamParts!(request, { signal: controller.signal }, (batch) =>
      parts.push(...batch),
    );
    held.shift()!(false);
    await Promise.resolve();
    expect(parts.filter((p) => p.type === 'text-delta')).toHaveLength(2);
    // The third wait is cut short by the abort, on a later microtask.
    controller.abort();
    await done;
    expect(last(parts)).toMatchObject({ type: 'error', error: { code: 'aborted' } });
    const count = parts.length;
    // The sleep's own wake, later: the wait is over already.
    for (const then of held.splice(0)) then(false);
    await Promise.resolve();
    expect(parts).toHaveLength(count);
    expect(signals.length).toBe(2);
    expect(signals.every((s) => s === undefined)).toBe(true);
  });

  it('sends nothing for a signal aborted before the call, whatever it paces with', async () => {
    for (const env of [undefined, fakeClock().env, fakeSchedulingClock().env]) {
      const controller = new AbortController();
      controller.abort();
      const parts = await pushed(createSimulatedProvider({ tokensPerSecond: 10, ...(env ? { env } : {}) }), controller.signal);
      expect(parts).toHaveLength(1);
      expect(last(parts)).toMatchObject({ type: 'error', error: { code: 'aborted' } });
    }
  });
});
