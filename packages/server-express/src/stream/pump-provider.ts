import { isContentPart, toTwinError, type StreamEvent, type StreamPart, type StreamSession } from '@twin/core';
import { eventNow } from '../providers/wake-clock';
import type { LiveStream, LiveStreamInit } from './live-stream';
import type { RunningBudget } from './running-budget';
import type { StopReason } from './stop-reason';

// The provider side of a live stream, kept apart from its connection and its ending: the loop that
// takes the provider's parts into the core session until the stream ends, however it ends.

/** What the loop reads and drives of its stream (the stream's private parts, lent for the run). */
export interface ProviderPump {
  stream: LiveStream;
  init: LiveStreamInit;
  session: StreamSession;
  budget: RunningBudget | undefined;
  abortController: AbortController;
  /** Why the stream was stopped, if it was (a stop can come at any time: read where a part needs it). */
  stopReason(): StopReason | undefined;
  /** New events from the session: to the audit copy, the log and the wire. */
  deliver(events: StreamEvent[]): void;
}

/** How the provider's run ended: see {@link pumpProvider}. */
export interface PumpEnd {
  closed: boolean;
  providerClosedAt: number;
}

/**
 * Runs the provider until the stream ends. Resolves with whether the terminal `error` event went out
 * already (`closed`) and when the provider's request ended (the stream's time ends with it).
 * A provider with `streamParts` pushes its parts a batch at a time (no promise per part between
 * the provider and the socket); others are pulled part by part. Not an async function: a push
 * provider's run is one object and a callback, not a suspended frame held for the stream's life.
 */
export function pumpProvider(pump: ProviderPump): Promise<PumpEnd> {
  const provider = pump.init.provider;
  const options = { signal: pump.abortController.signal };
  const run = new ProviderRun(pump);
  let ran: Promise<void>;
  try {
    ran = provider.streamParts ? provider.streamParts(pump.init.request, options, run.onParts) : run.pull(provider.stream(pump.init.request, options));
  } catch (error) {
    ran = Promise.reject(error);
  }
  return ran.then(
    () => run.end(),
    (error: unknown) => run.failed(error),
  );
}

/**
 * One run of the provider: whether the stream closed, and the parts taken into it. It keeps what a
 * part needs of the pump in its own fields: a part touches this object, not this one and the
 * pump's record too (each a cache line or two more per event, over thousands of streams).
 */
class ProviderRun {
  private closed = false;
  readonly stream: LiveStream;
  readonly session: StreamSession;
  readonly budget: RunningBudget | undefined;
  readonly deliver: (events: StreamEvent[]) => void;

  constructor(readonly pump: ProviderPump) {
    this.stream = pump.stream;
    this.session = pump.session;
    this.budget = pump.budget;
    this.deliver = pump.deliver;
  }

  /**
   * What a push provider hands over. What still arrives after the stream ended (the provider
   * stopping on the abort) is ignored. Its time: the slot's wake that ran the provider's timer, when
   * one did (see ../providers/wake-clock).
   */
  readonly onParts = (parts: readonly StreamPart[]): void => {
    if (this.closed) return;
    const now = eventNow();
    for (let i = 0; i < parts.length && !this.closed; i++) this.closed = takePart(this, parts[i]!, now);
    if (this.closed) {
      const abortController = this.pump.abortController;
      if (!abortController.signal.aborted) abortController.abort();
    }
  };

  async pull(parts: AsyncIterable<StreamPart>): Promise<void> {
    for await (const part of parts) {
      if (takePart(this, part, Date.now())) {
        this.closed = true;
        break;
      }
    }
  }

  /** The provider contract says stream() never throws; a bug there must still end and bill the stream. */
  failed(error: unknown): PumpEnd {
    if (!this.closed) this.pump.deliver(this.pump.session.finish({ error: toTwinError(error, 'provider_error') }));
    this.closed = true;
    return this.end();
  }

  end(): PumpEnd {
    const { session, abortController, deliver } = this.pump;
    const stopReason = this.pump.stopReason();
    if (!this.closed && stopReason) {
      // The provider ended without reporting the abort: end with our reason all the same.
      deliver(session.finish({ error: stopReason.error }));
      this.closed = true;
    }
    // Whatever ended the loop, the provider's request must not outlive the stream.
    if (!abortController.signal.aborted) abortController.abort();
    // The stream's time ends with its provider (duration billed, the record's endedAt), not with
    // the waits that follow.
    return { closed: this.closed, providerClosedAt: Date.now() };
  }
}

/**
 * One part from the provider: into the session, its events out, the running budget judged.
 * Returns true when the part ended the stream (an error part, or the session ended it).
 * The stop reason is read where it counts (an error part, a budget to judge), not for every delta.
 */
function takePart(run: ProviderRun, raw: StreamPart, now: number): boolean {
  const stream = run.stream;
  let part = raw;
  stream.lastActivityAt = now;
  if (part.type === 'error') {
    const stopReason = run.pump.stopReason();
    if (stopReason) part = { ...part, error: stopReason.error };
  } else if (stream.firstTokenAt === undefined && isContentPart(part)) stream.firstTokenAt = now;
  const session = run.session;
  const events = session.push(part, now);
  run.deliver(events);
  // The session may end the stream on its own (an error part, or its buffer_overflow policy).
  if (part.type === 'error' || endsStream(events)) return true;
  const budget = run.budget;
  if (budget && !run.pump.stopReason()) {
    const outcome = session.getOutcome();
    const stop = budget.judge(part, now, outcome.usage, outcome);
    if (stop) stream.stop(stop);
  }
  return false;
}

function endsStream(events: readonly StreamEvent[]): boolean {
  const last = events[events.length - 1];
  return last !== undefined && (last.type === 'error' || last.type === 'complete');
}
