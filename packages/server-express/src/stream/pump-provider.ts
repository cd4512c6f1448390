import { isContentPart, toTwinError, type StreamEvent, type StreamPart, type StreamSession } from '@twin/core';
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
  /** Why the stream was stopped, if it was (read on every part: a stop can come at any time). */
  stopReason(): StopReason | undefined;
  /** New events from the session: to the audit copy, the log and the wire. */
  deliver(events: StreamEvent[]): void;
}

/**
 * Runs the provider until the stream ends. Resolves with whether the terminal `error` event went out
 * already (`closed`) and when the provider's request ended (the stream's time ends with it).
 * A provider with `streamParts` pushes its parts a batch at a time (no promise per part between
 * the provider and the socket); others are pulled part by part.
 */
export async function pumpProvider(pump: ProviderPump): Promise<{ closed: boolean; providerClosedAt: number }> {
  const { init, session, abortController, deliver } = pump;
  const provider = init.provider;
  const options = { signal: abortController.signal };
  let closed = false;
  try {
    if (provider.streamParts) {
      // What still arrives after the stream ended (the provider stopping on the abort) is ignored.
      await provider.streamParts(init.request, options, (parts) => {
        if (closed) return;
        const now = Date.now();
        for (let i = 0; i < parts.length && !closed; i++) closed = takePart(pump, parts[i]!, now);
        if (closed && !abortController.signal.aborted) abortController.abort();
      });
    } else {
      for await (const part of provider.stream(init.request, options)) {
        if (takePart(pump, part, Date.now())) {
          closed = true;
          break;
        }
      }
    }
  } catch (error) {
    // The provider contract says stream() never throws; a bug there must still end and bill the stream.
    if (!closed) deliver(session.finish({ error: toTwinError(error, 'provider_error') }));
    closed = true;
  }
  const stopReason = pump.stopReason();
  if (!closed && stopReason) {
    // The provider ended without reporting the abort: end with our reason all the same.
    deliver(session.finish({ error: stopReason.error }));
    closed = true;
  }
  // Whatever ended the loop, the provider's request must not outlive the stream.
  if (!abortController.signal.aborted) abortController.abort();
  // The stream's time ends with its provider (duration billed, the record's endedAt), not with
  // the waits that follow.
  return { closed, providerClosedAt: Date.now() };
}

/**
 * One part from the provider: into the session, its events out, the running budget judged.
 * Returns true when the part ended the stream (an error part, or the session ended it).
 */
function takePart(pump: ProviderPump, raw: StreamPart, now: number): boolean {
  const { stream, session, budget } = pump;
  let part = raw;
  stream.lastActivityAt = now;
  const stopReason = pump.stopReason();
  if (part.type === 'error' && stopReason) part = { ...part, error: stopReason.error };
  else if (stream.firstTokenAt === undefined && isContentPart(part)) stream.firstTokenAt = now;
  const events = session.push(part, now);
  pump.deliver(events);
  // The session may end the stream on its own (an error part, or its buffer_overflow policy).
  if (part.type === 'error' || endsStream(events)) return true;
  if (budget && !pump.stopReason()) {
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
