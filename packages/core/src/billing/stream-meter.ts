import { TwinError } from '../errors/twin-error';
import type { StreamPart } from '../protocol/stream-part';
import type { Usage } from '../protocol/usage';
import type { MeteredUsage } from './bill-types';

type BilledUsage = NonNullable<MeteredUsage['usage']>;

/**
 * Merges provider usage reports field by field: a later report's known fields win, unknown
 * (`undefined`) fields never erase a known one. Providers split usage across events (Anthropic sends
 * input tokens at `message_start` and output tokens at `message_delta`).
 */
export function mergeUsage(a: Usage | undefined, b: Usage | undefined): Usage | undefined {
  if (!b) return a;
  if (!a) return { ...b };
  const out: Usage = { ...a };
  if (b.inputTokens !== undefined) out.inputTokens = b.inputTokens;
  if (b.cacheReadTokens !== undefined) out.cacheReadTokens = b.cacheReadTokens;
  if (b.cacheWriteTokens !== undefined) out.cacheWriteTokens = b.cacheWriteTokens;
  if (b.outputTokens !== undefined) out.outputTokens = b.outputTokens;
  if (b.reasoningTokens !== undefined) out.reasoningTokens = b.reasoningTokens;
  if (b.estimated !== undefined) out.estimated = b.estimated;
  return out;
}

function pickBilled(u: Usage): BilledUsage {
  const out: BilledUsage = {};
  if (u.inputTokens !== undefined) out.inputTokens = u.inputTokens;
  if (u.cacheReadTokens !== undefined) out.cacheReadTokens = u.cacheReadTokens;
  if (u.cacheWriteTokens !== undefined) out.cacheWriteTokens = u.cacheWriteTokens;
  if (u.outputTokens !== undefined) out.outputTokens = u.outputTokens;
  if (u.reasoningTokens !== undefined) out.reasoningTokens = u.reasoningTokens;
  if (u.estimated) out.estimated = true;
  return out;
}

/** Counts the tokens of a text (e.g. gpt-tokenizer's `countTokens`). */
export type MeterTokenCounter = (text: string) => number;

export interface StreamMeterOptions {
  /** Start of the stream, ms since the epoch (from the caller's clock). */
  startedAt: number;
  /** Estimated prompt tokens, used for the running cost until the provider reports usage. */
  inputTokensEstimate?: number;
  /**
   * Token counter for the running cost of generated text before the provider reports usage.
   * Without one, 4 characters count as one token (a rough, documented heuristic; flagged estimated).
   */
  countTokens?: MeterTokenCounter;
}

/**
 * Meters one stream while it runs: bytes written, connections, provider usage and generated text.
 * It owns no clock; `snapshot(now)` and `finish(endedAt)` take the time from the caller.
 *
 * @example
 * ```ts
 * const meter = new StreamMeter({ startedAt: Date.now() });
 * for await (const part of parts) { meter.recordPart(part); meter.recordBytes(write(part)); }
 * const metered = meter.finish(Date.now());
 * const bill = calculateBill(metered, config, context);
 * ```
 */
export class StreamMeter {
  readonly startedAt: number;
  private bytes = 0;
  private connections = 1;
  private reported: Usage | undefined;
  private outputChars = 0;
  private outputText = '';
  private readonly countTokens: MeterTokenCounter | undefined;
  private readonly inputTokensEstimate: number | undefined;

  constructor(options: StreamMeterOptions) {
    if (!Number.isFinite(options.startedAt)) throw new TwinError('invalid_argument', 'StreamMeter needs a finite startedAt (ms since the epoch).');
    this.startedAt = options.startedAt;
    this.countTokens = options.countTokens;
    this.inputTokensEstimate = options.inputTokensEstimate;
  }

  /** Bytes written to the client (after encoding, compression and encryption: what travelled). */
  recordBytes(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0) throw new TwinError('invalid_argument', `recordBytes takes a non-negative integer, got ${String(n)}.`);
    this.bytes += n;
  }

  /** A client reconnected (resume): one more connection is charged. */
  recordConnection(): void {
    this.connections += 1;
  }

  /** Takes usage from `usage` and `error` parts and counts generated text for the running estimate. */
  recordPart(part: StreamPart): void {
    switch (part.type) {
      case 'usage':
        this.reported = mergeUsage(this.reported, part.usage);
        break;
      case 'error':
        if (part.usage) this.reported = mergeUsage(this.reported, part.usage);
        break;
      case 'text-delta':
      case 'reasoning-delta':
        this.addOutput(part.text);
        break;
      case 'tool-call-delta':
        this.addOutput(part.argsTextDelta);
        break;
      default:
        break;
    }
  }

  private addOutput(text: string): void {
    this.outputChars += text.length;
    if (this.countTokens) this.outputText += text;
  }

  /** Usage the provider reported so far (merged), or `undefined` when it reported none. */
  get reportedUsage(): Usage | undefined {
    return this.reported;
  }

  /**
   * What the stream has consumed up to `now`, for pricing a running stream (budgets). Where the
   * provider has not reported a count yet, the count is estimated and the usage flagged `estimated`.
   */
  snapshot(now: number): MeteredUsage {
    const usage: BilledUsage = this.reported ? pickBilled(this.reported) : {};
    if (usage.inputTokens === undefined && this.inputTokensEstimate !== undefined) {
      usage.inputTokens = this.inputTokensEstimate;
      usage.estimated = true;
    }
    if (usage.outputTokens === undefined) {
      usage.outputTokens = this.countTokens ? this.countTokens(this.outputText) : Math.ceil(this.outputChars / 4);
      usage.estimated = true;
    }
    return { usage, durationMs: this.elapsed(now), bytes: this.bytes, connections: this.connections };
  }

  /**
   * The metered record of the finished stream. `fallbackUsage` (from `estimateUsage`, flagged
   * estimated) fills the counts the provider never reported; without it they stay unknown and the
   * bill is flagged `usageMissing`.
   */
  finish(endedAt: number, fallbackUsage?: Usage): MeteredUsage {
    let usage = this.reported;
    if (fallbackUsage) {
      const gaps = !usage || usage.inputTokens === undefined || usage.outputTokens === undefined;
      if (gaps) usage = mergeUsage(fallbackUsage, usage);
    }
    const metered: MeteredUsage = { durationMs: this.elapsed(endedAt), bytes: this.bytes, connections: this.connections };
    if (usage) metered.usage = pickBilled(usage);
    return metered;
  }

  private elapsed(now: number): number {
    if (!Number.isFinite(now)) throw new TwinError('invalid_argument', 'The end time must be a finite number of ms since the epoch.');
    // A clock that stepped backwards must not produce a negative duration.
    return Math.max(0, Math.round(now - this.startedAt));
  }
}

/** The lifecycle of a finished stream, for {@link meterStream}. */
export interface StreamLifecycle {
  startedAt: number;
  endedAt: number;
  bytesWritten: number;
  /** 1 + reconnects. Default 1. */
  connections?: number;
  /** The normalised parts the provider produced (only usage-carrying parts matter). */
  parts?: Iterable<StreamPart>;
  /** Tokenizer estimate for the counts the provider did not report. */
  fallbackUsage?: Usage;
}

/** One-shot metering of a finished stream: start/end times, bytes, usage parts → {@link MeteredUsage}. */
export function meterStream(lifecycle: StreamLifecycle): MeteredUsage {
  const meter = new StreamMeter({ startedAt: lifecycle.startedAt });
  meter.recordBytes(lifecycle.bytesWritten);
  for (let i = 1; i < (lifecycle.connections ?? 1); i++) meter.recordConnection();
  if (lifecycle.parts) for (const part of lifecycle.parts) meter.recordPart(part);
  return meter.finish(lifecycle.endedAt, lifecycle.fallbackUsage);
}
