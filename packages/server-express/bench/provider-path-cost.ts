/**
 * The provider side of many live streams, run round-robin on a simulated clock, for deterministic
 * counts under valgrind: STREAMS streams (2,000) of the simulated provider at 10 tokens/s, their
 * per-token sleeps on ONE slot sleep (as the server runs them), each pumped by `pumpProvider` into
 * its core session, whose events a core connection writer turns into SSE text (the delivery half
 * as a constant stand-in: a string length is kept, nothing written). The slot sleep's timer is
 * driven by hand: each turn advances the clock to the armed slot and runs it, so every slot wakes
 * the ~100 streams due in it, in the order the server would. Clock reads still call `Date.now()`
 * (its cost is part of what is measured) but answer the simulated time (`Date.now` is replaced).
 *
 * Prints the chunk events and bytes of SSE text produced over MEASURE_MS of simulated time after
 * WARMUP_MS; the per-event instructions and cache misses are the difference of two runs with
 * different MEASURE_MS, divided by the difference of their events:
 *
 *   esbuild bench/provider-path-cost.ts --bundle --platform=node --format=esm --outfile=/tmp/p.mjs
 *   valgrind --tool=cachegrind --cache-sim=yes --D1=49152,12,64 --LL=4194304,16,64 \
 *     node --single-threaded --predictable --hash-seed=1 --random-seed=1 /tmp/p.mjs
 *
 * The same file bundled against another tree's sources (esbuild's stdin with that tree's
 * `bench` as resolveDir and `--alias:@twin/core=<tree>/packages/core/src/index.ts`) is the A/B.
 * (A tree without src/providers/wake-clock.ts: `eventNow` resolved to `() => Date.now()`, what
 * its server's simulated provider read.) WRITER=0 leaves the writer out. SEMI_SPACE_MB is for exact garbage: `node --min-semi-space-size=N --max-semi-space-size=N`
 * and GARBAGE=1 prints the young generation's growth per event over the window.
 */
import { createConnectionWriter, createSimulatedProvider, createStreamSession, type StreamEvent } from '@twin/core';
import { getHeapSpaceStatistics } from 'node:v8';
import { createSlotSleep } from '../src/providers/slot-sleep';
import { eventNow } from '../src/providers/wake-clock';
import { pumpProvider, type ProviderPump } from '../src/stream/pump-provider';

const STREAMS = Number(process.env.STREAMS ?? 2_000);
const WARMUP_MS = Number(process.env.WARMUP_MS ?? 3_000);
const MEASURE_MS = Number(process.env.MEASURE_MS ?? 1_000);
// WRITER=0: the events are counted, not written (the provider side and the session alone).
const WRITER = process.env.WRITER !== '0';

let simulated = Date.now();
// Every clock read (the server's own `Date.now()` calls included) reads the real clock, so its cost
// counts, and answers the simulated time.
const realNow = Date.now;
Date.now = (): number => (realNow(), simulated);
const now = (): number => Date.now();
let timer: (() => void) | undefined;
let timerAt = 0;
const sleep = createSlotSleep(5, {
  // As the server's: its readings are `Date.now()`'s, shared with what a slot's wake runs.
  shared: true,
  now,
  setTimer: (callback, ms) => {
    timer = callback;
    timerAt = simulated + ms;
    return callback;
  },
  clearTimer: () => {
    timer = undefined;
  },
});
// As the reference server runs it (src/cli/serve.ts).
const provider = createSimulatedProvider({ tokensPerSecond: 10, outputTokens: 1_000_000, env: { sleep, now: eventNow } });

let events = 0;
let bytes = 0;
for (let i = 0; i < STREAMS; i++) {
  const streamId = `str_${i.toString(36).padStart(12, '0')}`;
  const session = createStreamSession({ streamId, provider: 'simulated', model: 'sim-1', now, simulated: true });
  const writer = createConnectionWriter({ streamId, onWrite: session.recordWrite });
  const stream = { lastActivityAt: simulated, firstTokenAt: undefined as number | undefined, stop: () => {} };
  const deliver = (out: StreamEvent[]): void => {
    if (out.length === 0) return;
    events += out.length;
    if (!WRITER) return;
    const text = writer.write(out);
    bytes += text.length;
    session.recordWrite(text.length, out.length);
  };
  deliver(session.start());
  const pump = {
    stream,
    init: { provider, request: { messages: [{ role: 'user', content: `load ${i}` }] } },
    session,
    budget: undefined,
    abortController: new AbortController(),
    stopReason: () => undefined,
    deliver,
  } as unknown as ProviderPump;
  void pumpProvider(pump);
  // Opened 100 ms apart in all: each slot then wakes its ~100 streams, as under steady load.
  runUntil(simulated + 100 / STREAMS);
}

/** Runs the slot sleep's timer until the simulated clock passes `until`. */
function runUntil(until: number): void {
  while (timer !== undefined && timerAt <= until) {
    simulated = Math.max(simulated, timerAt);
    const callback = timer;
    timer = undefined;
    callback();
  }
  simulated = until;
}

const youngUsed = (): number => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_used_size;
const start = simulated;
runUntil(start + WARMUP_MS);
const fromEvents = events;
const fromBytes = bytes;
const fromYoung = youngUsed();
runUntil(start + WARMUP_MS + MEASURE_MS);
const windowEvents = events - fromEvents;
const young = youngUsed() - fromYoung;
console.log(
  JSON.stringify({ streams: STREAMS, measureMs: MEASURE_MS, events: windowEvents, bytes: bytes - fromBytes, ...(process.env.GARBAGE ? { youngPerEvent: young / windowEvents } : {}) }),
);
