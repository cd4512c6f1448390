/**
 * Issue #19: bytes allocated per event on the two halves of the per-event path, a figure that does
 * not move with the machine's load (unlike CPU time): the simulated provider pushing its words
 * through the provider guard, and the stream session + connection writer turning each delta into
 * one SSE event. Counted as heap growth between two forced collections, in a child process with a
 * young generation large enough that nothing is collected in between (checked).
 *
 * Run: `pnpm --filter @twin/core bench per-event` (or `tsx bench/per-event-allocations.bench.ts`).
 */
import { fork } from 'node:child_process';
import { PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createConnectionWriter, createSimulatedProvider, createStreamSession, streamConfigSchema, type StreamPart } from '../src/index';

const CHILD = 'TWIN_PER_EVENT_ALLOCATIONS_CHILD';

if (process.env[CHILD] === undefined) {
  const child = fork(fileURLToPath(import.meta.url), [], {
    execArgv: ['--import', 'tsx', '--expose-gc', '--max-semi-space-size=128', '--min-semi-space-size=128'],
    env: { ...process.env, [CHILD]: '1' },
    stdio: 'inherit',
  });
  await new Promise<void>((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`exit ${code}`)))));
} else {
  await measure();
}

async function measure(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc!;
  let collections = 0;
  new PerformanceObserver((list) => {
    collections += list.getEntries().length;
  }).observe({ entryTypes: ['gc'] });
  const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

  /** Heap growth per event of `run` (which returns its event count), with no collection inside. */
  async function perEvent(run: () => Promise<number> | number): Promise<number> {
    await run();
    await run();
    const samples: number[] = [];
    for (let i = 0; i < 5; i++) {
      gc();
      await settle();
      collections = 0;
      const before = process.memoryUsage().heapUsed;
      const events = await run();
      const after = process.memoryUsage().heapUsed;
      await settle();
      if (collections > 0) throw new Error('a collection ran during the measurement: the figure would be low');
      samples.push((after - before) / events);
    }
    return samples.sort((a, b) => a - b)[2]!;
  }

  const request = (i: number) => ({ messages: [{ role: 'user' as const, content: `hello ${i}` }] });

  // 20 streams × 200 words at 2,000 words/s on the default timers, pushed (as the server takes them).
  const provider = async (): Promise<number> => {
    const sim = createSimulatedProvider({ tokensPerSecond: 2_000, outputTokens: 200 });
    let words = 0;
    const streams: Promise<void>[] = [];
    for (let i = 0; i < 20; i++) {
      streams.push(
        sim.streamParts!(request(i), {}, (parts: readonly StreamPart[]) => {
          for (let j = 0; j < parts.length; j++) if (parts[j]!.type === 'text-delta') words++;
        }),
      );
    }
    await Promise.all(streams);
    return words;
  };

  // 100 sessions × 100 deltas per run, one event per delta; the sessions are made before any count.
  const config = streamConfigSchema.parse({ flush: { maxParts: 1 } });
  const words = 'the a stream of tokens flows from model to client over server sent events'.split(' ').map((w) => ({ type: 'text-delta' as const, text: `${w} ` }));
  let now = 0;
  const sessions = () =>
    Array.from({ length: 100 }, (_, i) => {
      const session = createStreamSession({ streamId: `stream${i}`, provider: 'simulated', model: 'sim-1', config, now: () => now, createdAt: new Date(0) });
      const writer = createConnectionWriter({ streamId: `stream${i}`, onWrite: session.recordWrite });
      writer.write(session.start());
      return { session, writer };
    });
  const prepared = sessions();
  const sessionPath = (): number => {
    let events = 0;
    for (let t = 0; t < 100; t++) {
      now += 100;
      for (let i = 0; i < prepared.length; i++) {
        const { session, writer } = prepared[i]!;
        const out = session.push(words[(t + i) % words.length]!, now);
        if (out.length > 0) writer.write(out);
        events += out.length;
      }
    }
    return events;
  };

  const providerBytes = await perEvent(provider);
  const sessionBytes = await perEvent(sessionPath);
  console.log('\nallocated per event (median of runs, no collection during a run):');
  console.table([
    { path: 'simulated provider + guard, pushed (per word)', bytes: Math.round(providerBytes) },
    { path: 'stream session + connection writer (per event)', bytes: Math.round(sessionBytes) },
  ]);
}
