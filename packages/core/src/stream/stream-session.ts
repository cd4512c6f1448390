import { isTwinError, type TwinError, type TwinErrorPayload } from '../errors/twin-error';
import type { StreamBufferState } from '../protocol/stream-buffer-state';
import type { StreamConfig, StreamConfigInput } from '../protocol/stream-config';
import { streamConfigOf } from '../protocol/resolved-stream-config';
import type { StreamStatus } from '../protocol/stream-connection';
import type { CostReceipt, StreamEvent, StreamState } from '../protocol/stream-event';
import type { StreamMetrics } from '../protocol/stream-metrics';
import type { StreamPart } from '../protocol/stream-part';
import type { FinishReason, Usage } from '../protocol/usage';
import { publicUsage, StreamBuffer, type StreamOutcome } from './stream-buffer';

export interface StreamSessionOptions {
  streamId: string;
  /** Provider and model asked for (the `start` event); the served ones from `response-metadata` go in `complete`. */
  provider: string;
  model: string;
  /** Stream config; a partial input is resolved with defaults (once, here), one from `resolveStreamConfig` taken as it is. */
  config?: StreamConfigInput | StreamConfig;
  /** Clock in ms since the epoch; read at start and when a method is called without `now`. */
  now: () => number;
  /** Time the stream was created (`start.createdAt`); defaults to `now()` at start. */
  createdAt?: Date;
  /** The provider is the simulated one: the `start` event says so (`simulated: true`). */
  simulated?: boolean;
}

export interface FinishOptions {
  /** The cost receipt to put in `complete` (from billing). */
  cost?: CostReceipt;
  /** Overrides the finish reason reported by the provider (default: the provider's, else `other`). */
  finishReason?: FinishReason;
  /** Ends the stream with an `error` event instead of `complete`. */
  error?: TwinError | TwinErrorPayload;
  /** Usage to report when the provider sent none (e.g. a tokenizer estimate after an abort). */
  usage?: Usage;
}

/** Everything a session knows, for UIs, metrics and billing. Stable between changes. */
export interface StreamSessionSnapshot {
  status: StreamStatus;
  state: StreamState;
  usage: Usage | undefined;
  finishReason: FinishReason | undefined;
  error: TwinErrorPayload | undefined;
  metrics: StreamMetrics;
  buffer: StreamBufferState;
}

/** Called with the events of every call that emitted some (in order), e.g. to fan out to connections. */
export type StreamSessionListener = (events: readonly StreamEvent[]) => void;

/**
 * One stream on the server: the glue between a provider's parts and the connections that carry them
 * (docs/design.md "Shape", "core stream session"). It owns the {@link StreamBuffer} (flush rules, sequence,
 * replay window) and the metrics (bytes, events, time to first token, text, tokens/s). It holds no
 * timers and reads no global clock: the server calls {@link StreamSession.tick} when
 * {@link StreamSession.nextFlushAt} is due, and reports written bytes with
 * {@link StreamSession.recordWrite} (a {@link ConnectionWriter}'s `onWrite`).
 *
 * Typical use:
 * ```ts
 * const session = createStreamSession({ streamId, provider, model, now: Date.now });
 * const writer = createConnectionWriter({ streamId, onWrite: session.recordWrite });
 * res.write(writer.write(session.start()));
 * for await (const part of provider.stream(request)) res.write(writer.write(session.push(part, Date.now())));
 * res.write(writer.write(session.finish({ cost }, Date.now())));
 * ```
 */
export class StreamSession {
  readonly streamId: string;
  private readonly buffer: StreamBuffer;
  private readonly clock: () => number;
  private readonly createdAt: Date | undefined;
  private readonly provider: string;
  private readonly model: string;
  private readonly simulated: boolean;
  private listeners: Set<StreamSessionListener> | undefined;
  private snapshot: StreamSessionSnapshot | undefined;

  private status: StreamStatus = 'open';
  private startedAt = 0;
  private firstTokenAt: number | undefined;
  private endedAt: number | undefined;
  private bytesSent = 0;
  private eventsSent = 0;
  private contentParts = 0;
  private textChars = 0;
  private reconnects = 0;
  private backpressureEvents = 0;
  private backpressure = false;
  private errors = 0;
  private fallbackUsage: Usage | undefined;
  private boundRecordWrite: ((bytes: number, events?: number) => void) | undefined;

  constructor(options: StreamSessionOptions) {
    this.streamId = options.streamId;
    this.provider = options.provider;
    this.model = options.model;
    this.clock = options.now;
    this.createdAt = options.createdAt;
    this.simulated = options.simulated === true;
    const config = streamConfigOf(options.config);
    this.buffer = new StreamBuffer(config);
  }

  /** The `start` event (seq 0). Call once, first. */
  start(): StreamEvent[] {
    this.startedAt = this.clock();
    const createdAt = (this.createdAt ?? new Date(this.startedAt)).toISOString();
    const fields = { streamId: this.streamId, provider: this.provider, model: this.model, createdAt, ...(this.simulated ? { simulated: true } : {}) };
    return this.changed(this.buffer.start(fields), this.startedAt);
  }

  /** Takes one provider part; returns the events ready now (often none). */
  push(part: StreamPart, now: number = this.clock()): StreamEvent[] {
    switch (part.type) {
      case 'text-delta':
        this.textChars += part.text.length;
        this.content(now);
        break;
      case 'reasoning-delta':
      case 'tool-call-start':
      case 'tool-call-delta':
      case 'tool-call':
        this.content(now);
        break;
      case 'error':
        this.errors++;
        break;
    }
    this.snapshot = undefined;
    return this.changed(this.buffer.push(part, now), now);
  }

  /** Age-based flush; the server calls it when {@link nextFlushAt} is due. */
  tick(now: number = this.clock()): StreamEvent[] {
    return this.changed(this.buffer.tick(now), now);
  }

  /** When {@link tick} should next be called, or `undefined` when nothing is pending. */
  nextFlushAt(): number | undefined {
    return this.buffer.nextFlushAt();
  }

  /** The connection's writer reports backpressure (`true`) or that it drained (`false`). */
  setBackpressure(on: boolean, now: number = this.clock()): StreamEvent[] {
    if (on && !this.backpressure) this.backpressureEvents++;
    this.backpressure = on;
    return this.changed(this.buffer.setBackpressure(on, now), now);
  }

  /**
   * Flushes what is pending and ends the stream: `complete` (with usage, cost and metrics), or
   * `error` when `error` is given. Returns `[]` when the stream already ended (e.g. an error part).
   */
  finish(options: FinishOptions = {}, now: number = this.clock()): StreamEvent[] {
    if (this.buffer.isClosed) return [];
    if (options.usage !== undefined) this.fallbackUsage = options.usage;
    const usage = this.buffer.getOutcome().usage ?? this.fallbackUsage;
    this.end(now);
    if (options.error !== undefined) {
      this.errors++;
      const payload = isTwinError(options.error) ? options.error.toPayload() : options.error;
      return this.changed(this.buffer.fail(usage === undefined ? { ...payload } : { ...payload, usage: publicUsage(usage) }), now);
    }
    const outcome = this.buffer.getOutcome();
    return this.changed(
      this.buffer.complete({
        finishReason: options.finishReason ?? outcome.finishReason ?? 'other',
        rawFinishReason: outcome.rawFinishReason,
        provider: outcome.provider ?? this.provider,
        model: outcome.model ?? this.model,
        usage: usage === undefined ? undefined : publicUsage(usage),
        cost: options.cost,
        // Bytes and events written before this event: it cannot count itself.
        metrics: { ttftMs: this.ttftMs(), durationMs: Math.max(0, now - this.startedAt), bytes: this.bytesSent, events: this.eventsSent },
      }),
      now,
    );
  }

  /** The answer to a reconnect with `Last-Event-ID` (see {@link StreamBuffer.replayFrom}); counts a reconnect. */
  replayFrom(lastEventId: number): StreamEvent[] {
    this.reconnects++;
    this.snapshot = undefined;
    return this.buffer.replayFrom(lastEventId);
  }

  /**
   * Reports UTF-8 bytes and events a connection wrote. A method (one function for all sessions), so a
   * caller that writes per event (the server) loads no per-session closure; {@link recordWrite} is the
   * same as a callback.
   */
  noteWrite(bytes: number, events: number = 0): void {
    this.bytesSent += bytes;
    this.eventsSent += events;
    this.snapshot = undefined;
  }

  /**
   * {@link noteWrite} bound to this session, so it can be handed over as `onWrite: session.recordWrite`
   * without binding. Made on first use (the same function every time): a session that is only called
   * through {@link noteWrite} carries no closure.
   */
  get recordWrite(): (bytes: number, events?: number) => void {
    return (this.boundRecordWrite ??= (bytes: number, events: number = 0) => this.noteWrite(bytes, events));
  }

  /** Calls `listener` with the events of every call that emitted some. Returns the unsubscribe function. */
  subscribe(listener: StreamSessionListener): () => void {
    (this.listeners ??= new Set()).add(listener);
    return () => {
      this.listeners?.delete(listener);
    };
  }

  /** Usage, finish reason, serving model and error, for billing. */
  getOutcome(): Readonly<StreamOutcome> {
    return this.buffer.getOutcome();
  }

  get lastSeq(): number {
    return this.buffer.lastSeq;
  }

  /**
   * The current snapshot. The same object is returned until something changes (safe for
   * `useSyncExternalStore`); while the stream runs, `metrics.durationMs` is measured at the time the
   * snapshot was built.
   */
  getSnapshot(): StreamSessionSnapshot {
    if (this.snapshot !== undefined) return this.snapshot;
    const outcome = this.buffer.getOutcome();
    const usage = outcome.usage ?? this.fallbackUsage;
    const end = this.endedAt ?? this.clock();
    const metrics: StreamMetrics = {
      streamId: this.streamId,
      startedAt: this.startedAt,
      durationMs: Math.max(0, end - this.startedAt),
      bytesSent: this.bytesSent,
      eventsSent: this.eventsSent,
      contentParts: this.contentParts,
      textChars: this.textChars,
      reconnects: this.reconnects,
      backpressureEvents: this.backpressureEvents,
      errors: this.errors,
    };
    if (this.firstTokenAt !== undefined) {
      metrics.firstTokenAt = this.firstTokenAt;
      metrics.ttftMs = this.ttftMs();
    }
    if (this.endedAt !== undefined) metrics.endedAt = this.endedAt;
    if (usage?.outputTokens !== undefined) {
      metrics.outputTokens = usage.outputTokens;
      // Generation speed: from the first token to the end (or now), not counting the wait before it.
      const from = this.firstTokenAt ?? this.startedAt;
      if (end > from) metrics.tokensPerSecond = (usage.outputTokens * 1000) / (end - from);
    }
    this.snapshot = {
      status: this.status,
      state: this.buffer.getState(),
      usage,
      finishReason: outcome.finishReason,
      error: outcome.error,
      metrics,
      buffer: this.buffer.getSnapshot(),
    };
    return this.snapshot;
  }

  /** (`push` clears the snapshot for it.) */
  private content(now: number): void {
    this.contentParts++;
    if (this.firstTokenAt === undefined) {
      this.firstTokenAt = now;
      this.status = 'streaming';
    }
  }

  private end(now: number): void {
    this.endedAt = now;
    this.snapshot = undefined;
  }

  private ttftMs(): number | undefined {
    return this.firstTokenAt === undefined ? undefined : Math.max(0, this.firstTokenAt - this.startedAt);
  }

  private changed(events: StreamEvent[], now: number): StreamEvent[] {
    if (events.length === 0) return events;
    this.snapshot = undefined;
    // The buffer may end the stream on its own (error part, overflow).
    if (this.buffer.isClosed && this.endedAt === undefined) this.endedAt = now;
    const terminal = events[events.length - 1]!;
    if (terminal.type === 'complete') this.status = 'completed';
    else if (terminal.type === 'error') this.status = terminal.data.code === 'aborted' ? 'aborted' : 'error';
    if (this.listeners !== undefined) for (const listener of this.listeners) listener(events);
    return events;
  }
}

/** Creates a {@link StreamSession}. */
export function createStreamSession(options: StreamSessionOptions): StreamSession {
  return new StreamSession(options);
}
