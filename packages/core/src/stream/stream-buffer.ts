import type { TwinErrorPayload } from '../errors/twin-error';
import type { StreamBufferState } from '../protocol/stream-buffer-state';
import { DEFAULT_STREAM_CONFIG, type StreamConfig } from '../protocol/stream-config';
import type {
  ChunkContent,
  CompleteEventData,
  ErrorEventData,
  StartEventData,
  StreamEvent,
  StreamState,
} from '../protocol/stream-event';
import type { StreamPart } from '../protocol/stream-part';
import type { FinishReason, Usage } from '../protocol/usage';
import { PROTOCOL_VERSION } from '../protocol/version';
import { TwinError } from '../errors/twin-error';
import { utf8ByteLength } from '../sse/utf8-byte-length';
import { ReplayWindow } from './replay-window';
import { StreamStateAccumulator } from './stream-state-accumulator';
import { FrameCoalescer, REASONING, TEXT, TOOLS, type ContentKind } from './frame-coalescer';

/** Resolved flush and buffer settings (the `flush` and `buffer` groups of {@link StreamConfig}). */
export type StreamBufferConfig = Pick<StreamConfig, 'flush' | 'buffer'>;

/** What the buffer learnt from the non-content parts, for the terminal event and billing. */
export interface StreamOutcome {
  usage: Usage | undefined;
  finishReason: FinishReason | undefined;
  rawFinishReason: string | undefined;
  /** Provider and model that actually served the stream (`response-metadata`), when reported. */
  provider: string | undefined;
  model: string | undefined;
  responseId: string | undefined;
  /** The error that ended the stream, when it ended with one. */
  error: TwinErrorPayload | undefined;
}

/** Fields of the `start` event the caller provides (`v` and `seq` are the buffer's). */
export type StartFields = Omit<StartEventData, 'v' | 'seq'>;
/** Fields of the `complete` event the caller provides. */
export type CompleteFields = Omit<CompleteEventData, 'v' | 'seq'>;
/** Fields of the `error` event the caller provides. */
export type ErrorFields = Omit<ErrorEventData, 'v' | 'seq'>;

// Approximate JSON and SSE framing around a chunk's content, for the replay window's byte bound.
const CHUNK_OVERHEAD_BYTES = 48;
const CONTROL_EVENT_BYTES = 256;

/**
 * The per-stream stream buffer: a pure, synchronous state machine from normalised
 * {@link StreamPart}s to sequenced {@link StreamEvent}s. No timers and no clock inside: every call
 * takes `now` (ms), and the caller calls {@link StreamBuffer.tick} when {@link StreamBuffer.nextFlushAt}
 * is due.
 *
 * Flush rules (see docs/streaming.md):
 * - the first content part of the stream is emitted at once (time to first token is never delayed);
 *   so is a part arriving after no content went out for `flush.maxAgeMs` (a quiet stream is not delayed);
 * - after that, content coalesces into one frame until `flush.maxBytes` bytes or `flush.maxParts`
 *   parts are pending, or the oldest pending part is `flush.maxAgeMs` old;
 * - while the writer reports backpressure, size and count are ignored and only
 *   `flush.backpressureMaxAgeMs` applies (fewer, larger writes);
 * - consecutive text deltas concatenate into `text`, reasoning into `reasoning`, tool pieces into
 *   `tools`; a change of kind closes the frame so order is never lost;
 * - pending content above `buffer.maxPendingBytes` (twice that with `overflow: 'coalesce'`) flushes
 *   what is pending and ends the stream with a `buffer_overflow` error event: nothing is dropped.
 *
 * Every event gets the next sequence number (`start` is 0) and enters a replay window bounded by
 * `buffer.replayWindowEvents` and `buffer.replayWindowBytes`; {@link StreamBuffer.replayFrom}
 * answers a `Last-Event-ID` with exactly the missed events, or with a `resync` carrying the full
 * {@link StreamState} when they have left the window.
 */
export class StreamBuffer {
  private readonly maxBytes: number;
  private readonly maxParts: number;
  private readonly maxAgeMs: number;
  private readonly backpressureMaxAgeMs: number;
  private readonly overflowLimit: number;
  private readonly window: ReplayWindow;
  private readonly state = new StreamStateAccumulator();

  private nextSeq = 0;
  private started = false;
  private closed = false;
  private overflowed = false;
  private backpressure = false;
  /** When content last went out (`-Infinity` before the first content part). */
  private lastContentFlushAt = -Infinity;
  /** Length of the text sent in text chunks so far: where the next text chunk starts in the stream's text. */
  private textSent = 0;
  private terminal: StreamEvent | undefined;

  private readonly frames = new FrameCoalescer();
  // The events of the call in progress: the first alone, so that a call emitting one event (a text
  // stream's usual) allocates one exact array, not an empty one grown by a push.
  private first: StreamEvent | undefined;
  private rest: StreamEvent[] | undefined;

  private readonly outcome: StreamOutcome = {
    usage: undefined,
    finishReason: undefined,
    rawFinishReason: undefined,
    provider: undefined,
    model: undefined,
    responseId: undefined,
    error: undefined,
  };

  constructor(config: StreamBufferConfig = DEFAULT_STREAM_CONFIG) {
    this.maxBytes = config.flush.maxBytes;
    this.maxParts = config.flush.maxParts;
    this.maxAgeMs = config.flush.maxAgeMs;
    this.backpressureMaxAgeMs = config.flush.backpressureMaxAgeMs;
    this.overflowLimit = config.buffer.overflow === 'coalesce' ? config.buffer.maxPendingBytes * 2 : config.buffer.maxPendingBytes;
    this.window = new ReplayWindow(config.buffer.replayWindowEvents, config.buffer.replayWindowBytes);
  }

  /** Emits the `start` event (seq 0). Must be called once, before any part. */
  start(fields: StartFields): StreamEvent[] {
    if (this.started) throw new TwinError('conflict', 'The stream buffer was already started.');
    this.started = true;
    return [this.emit({ type: 'start', data: { v: PROTOCOL_VERSION, seq: this.nextSeq, ...fields } }, CONTROL_EVENT_BYTES)];
  }

  /**
   * Takes one part and returns the events ready now (often none). Content parts are buffered by the
   * flush rules; `usage`, `finish` and `response-metadata` are recorded for the terminal event; an
   * `error` part flushes what is pending and ends the stream with an `error` event. Parts after the
   * stream closed are ignored (the stream already has its terminal event).
   */
  push(part: StreamPart, now: number): StreamEvent[] {
    if (!this.started) throw new TwinError('invalid_argument', 'Call start() before pushing parts to the stream buffer.');
    if (this.closed) return [];
    switch (part.type) {
      case 'text-delta':
        if (part.text === '') break;
        this.state.appendText(part.text);
        this.beforeContent(TEXT, now);
        this.frames.addText(TEXT, part.text, utf8ByteLength(part.text), now);
        this.afterContent(now);
        return this.taken();
      case 'reasoning-delta':
        if (part.text === '') break;
        this.state.appendReasoning(part.text);
        this.beforeContent(REASONING, now);
        this.frames.addText(REASONING, part.text, utf8ByteLength(part.text), now);
        this.afterContent(now);
        return this.taken();
      case 'tool-call-start':
        this.state.toolStart(part.toolCallId, part.index, part.toolName);
        this.beforeContent(TOOLS, now);
        this.frames.addTool(part.toolCallId, part.index, part.toolName, undefined, false, undefined, utf8ByteLength(part.toolName), now);
        this.afterContent(now);
        return this.taken();
      case 'tool-call-delta':
        if (part.argsTextDelta === '') break;
        this.state.toolDelta(part.toolCallId, part.index, part.argsTextDelta);
        this.beforeContent(TOOLS, now);
        this.frames.addTool(part.toolCallId, part.index, undefined, part.argsTextDelta, false, undefined, utf8ByteLength(part.argsTextDelta), now);
        this.afterContent(now);
        return this.taken();
      case 'tool-call': {
        const rest = this.state.toolDone(part.toolCallId, part.index, part.toolName, part.args, part.argsText);
        this.beforeContent(TOOLS, now);
        this.frames.addTool(part.toolCallId, part.index, part.toolName, rest, true, part.args, utf8ByteLength(part.argsText), now);
        this.afterContent(now);
        return this.taken();
      }
      case 'usage':
        this.outcome.usage = part.usage;
        break;
      case 'finish':
        this.outcome.finishReason = part.reason;
        this.outcome.rawFinishReason = part.rawReason;
        break;
      case 'response-metadata':
        if (part.id !== undefined) this.outcome.responseId = part.id;
        if (part.model !== undefined) this.outcome.model = part.model;
        if (part.provider !== undefined) this.outcome.provider = part.provider;
        break;
      case 'error': {
        if (part.usage !== undefined) this.outcome.usage = part.usage;
        const fields: ErrorFields = { ...part.error };
        const usage = part.usage ?? this.outcome.usage;
        if (usage !== undefined) fields.usage = publicUsage(usage);
        this.endWithError(fields);
        return this.taken();
      }
    }
    this.maybeFlush(now);
    return this.taken();
  }

  /** Age-based flush; call it when {@link nextFlushAt} is due (the server keeps the timer). */
  tick(now: number): StreamEvent[] {
    if (!this.closed) this.maybeFlush(now);
    return this.taken();
  }

  /**
   * The writer reports backpressure (`true`) or that it drained (`false`). While on, content keeps
   * coalescing up to `backpressureMaxAgeMs`; turning it off flushes what is due by the normal rules.
   */
  setBackpressure(on: boolean, now: number): StreamEvent[] {
    this.backpressure = on;
    return this.tick(now);
  }

  /** Emits everything pending now, regardless of the flush rules. */
  flush(): StreamEvent[] {
    if (!this.closed) this.flushInto();
    return this.taken();
  }

  /** When {@link tick} should next be called, or `undefined` when nothing is pending. */
  nextFlushAt(): number | undefined {
    if (this.frames.parts === 0 || this.closed) return undefined;
    return this.frames.since + (this.backpressure ? this.backpressureMaxAgeMs : this.maxAgeMs);
  }

  /** Flushes pending content and ends the stream with `complete`. No-op once closed. */
  complete(fields: CompleteFields): StreamEvent[] {
    if (this.closed || !this.started) return [];
    this.flushInto();
    this.closed = true;
    this.terminal = this.emit({ type: 'complete', data: { v: PROTOCOL_VERSION, seq: this.nextSeq, ...fields } }, CONTROL_EVENT_BYTES);
    this.put(this.terminal);
    return this.taken();
  }

  /** Flushes pending content and ends the stream with an `error` event. No-op once closed. */
  fail(fields: ErrorFields): StreamEvent[] {
    if (this.closed || !this.started) return [];
    this.endWithError(fields);
    return this.taken();
  }

  /**
   * The answer to a reconnect with `Last-Event-ID: lastEventId` (-1: from the very beginning).
   * Exactly the events with `seq > lastEventId` while they are all in the replay window; otherwise
   * one `resync` event carrying the full state (its seq is the last content position it covers, so a
   * later resume from it is exact), followed by the terminal event when the stream has ended.
   * An id beyond the last event (another stream's, or forged) also gets the resync.
   */
  replayFrom(lastEventId: number): StreamEvent[] {
    if (!Number.isSafeInteger(lastEventId) || lastEventId < -1) {
      throw new TwinError('invalid_argument', `Last-Event-ID must be an integer ≥ -1, got ${String(lastEventId)}.`);
    }
    const lastSeq = this.nextSeq - 1;
    if (lastEventId === lastSeq) return [];
    if (lastEventId < lastSeq && this.window.covers(lastEventId)) return this.window.after(lastEventId, this.state.text);
    if (lastEventId < lastSeq && this.terminal !== undefined && lastEventId === lastSeq - 1) return [this.terminal];
    const resyncSeq = this.terminal === undefined ? lastSeq : lastSeq - 1;
    const reason = lastEventId > lastSeq ? 'unknown_position' : 'out_of_window';
    const resync: StreamEvent = { type: 'resync', data: { v: PROTOCOL_VERSION, seq: resyncSeq, reason, ...this.state.snapshot() } };
    return this.terminal === undefined ? [resync] : [resync, this.terminal];
  }

  /** The full content so far (what a `resync` carries). */
  getState(): StreamState {
    return this.state.snapshot();
  }

  /** Usage, finish reason, serving model and error learnt from the parts so far. */
  getOutcome(): Readonly<StreamOutcome> {
    return this.outcome;
  }

  /** Sequence number of the last event emitted (-1 before `start`). */
  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  getSnapshot(): StreamBufferState {
    return {
      lastSeq: Math.max(0, this.nextSeq - 1),
      pendingParts: this.frames.parts,
      pendingBytes: this.frames.bytes,
      windowStartSeq: this.window.startSeq,
      windowEvents: this.window.count,
      windowBytes: this.window.bytes,
      backpressure: this.backpressure,
      overflowed: this.overflowed,
      closed: this.closed,
    };
  }

  /**
   * A closed frame cannot grow any more, so outside backpressure it goes out before content of
   * another kind starts a new frame; under backpressure it waits with the rest.
   */
  private beforeContent(kind: ContentKind, now: number): void {
    if (!this.backpressure && this.frames.kind !== 0 && this.frames.kind !== kind) this.flushInto(now);
  }

  /**
   * The first content part goes out at once, even under backpressure. So does a part that arrives
   * alone after no content went out for the latency budget (leading edge): with nothing pending and
   * nothing recent, waiting could only add latency, and a sparse stream (one delta per 100 ms, say)
   * would otherwise pay the whole budget on every delta without ever coalescing. Parts that follow
   * within the budget coalesce as before.
   */
  private afterContent(now: number): void {
    if (this.lastContentFlushAt === -Infinity || (!this.backpressure && this.frames.parts === 1 && now - this.lastContentFlushAt >= this.maxAgeMs)) {
      this.flushInto(now);
      return;
    }
    this.maybeFlush(now);
  }

  private maybeFlush(now: number): void {
    const frames = this.frames;
    if (frames.parts === 0) return;
    const age = now - frames.since;
    if (this.backpressure) {
      if (age >= this.backpressureMaxAgeMs) return this.flushInto(now);
    } else if (frames.bytes >= this.maxBytes || frames.parts >= this.maxParts || age >= this.maxAgeMs) {
      return this.flushInto(now);
    }
    if (frames.bytes > this.overflowLimit) {
      this.overflowed = true;
      this.endWithError(
        {
          code: 'buffer_overflow',
          message: `The stream produced more than ${this.overflowLimit} bytes the connection could not take in time; the stream was ended.`,
          retryable: false,
        },
      );
    }
  }

  /** `now`: when the frames go out (omitted by flushes outside the flush rules, which keep the last time). */
  private flushInto(now?: number): void {
    if (this.frames.parts === 0) return;
    if (now !== undefined) this.lastContentFlushAt = now;
    const bytes = this.frames.bytes;
    const text = this.frames.drainText();
    if (text !== undefined) {
      this.put(this.emitText(text, bytes));
      return;
    }
    const frames = this.frames.drain();
    for (let i = 0; i < frames.length; i++) this.put(this.emitChunk(frames[i]!.content, frames[i]!.bytes));
  }

  private emitChunk(content: ChunkContent, bytes: number): StreamEvent {
    // Spread order puts `v` and `seq` first in the JSON, before the content.
    // A text frame's content is `{ text }` alone, and text frames follow each other in the stream's
    // text (the state): the replay window holds such a chunk as where its text ends there.
    const text = content.text;
    if (text !== undefined) this.textSent += text.length;
    return this.emit({ type: 'chunk', data: { v: PROTOCOL_VERSION, seq: this.nextSeq, ...content } }, bytes + CHUNK_OVERHEAD_BYTES, text === undefined ? undefined : this.textSent);
  }

  /** A chunk of text alone (the bulk of a stream), built without a frame or a spread. */
  private emitText(text: string, bytes: number): StreamEvent {
    this.textSent += text.length;
    return this.emit({ type: 'chunk', data: { v: PROTOCOL_VERSION, seq: this.nextSeq, text } }, bytes + CHUNK_OVERHEAD_BYTES, this.textSent);
  }

  private endWithError(fields: ErrorFields): void {
    this.flushInto();
    this.closed = true;
    this.outcome.error = { code: fields.code as TwinErrorPayload['code'], message: fields.message, retryable: fields.retryable };
    if (fields.provider !== undefined) this.outcome.error.provider = fields.provider;
    this.terminal = this.emit({ type: 'error', data: { v: PROTOCOL_VERSION, seq: this.nextSeq, ...fields } }, CONTROL_EVENT_BYTES);
    this.put(this.terminal);
  }

  private put(event: StreamEvent): void {
    if (this.first === undefined) this.first = event;
    else (this.rest ??= [this.first]).push(event);
  }

  /** The events put since the last call, in order. */
  private taken(): StreamEvent[] {
    const { first, rest } = this;
    this.first = undefined;
    this.rest = undefined;
    return rest ?? (first === undefined ? [] : [first]);
  }

  private emit(event: StreamEvent, bytes: number, textEnd?: number): StreamEvent {
    this.window.add(event, this.nextSeq, bytes, textEnd);
    this.nextSeq++;
    return event;
  }
}

/** Usage as it goes on the wire: the provider's raw object stays on the server. */
export function publicUsage(usage: Usage): Omit<Usage, 'raw'> {
  if (usage.raw === undefined) return usage;
  const { raw: _raw, ...rest } = usage;
  return rest;
}

/** Creates a {@link StreamBuffer} from resolved config (defaults: {@link DEFAULT_STREAM_CONFIG}). */
export function createStreamBuffer(config: StreamBufferConfig = DEFAULT_STREAM_CONFIG): StreamBuffer {
  return new StreamBuffer(config);
}
