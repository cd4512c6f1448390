import { TwinError } from '../errors/twin-error';
import type { ErrorPart, StreamPart } from '../protocol/stream-part';
import type { Usage } from '../protocol/usage';
import { estimateUsage, fillEstimatedUsage, type TokenCounter } from './estimate-usage';
import type { ProviderRequest } from './provider';
import { mapProviderError } from './provider-error';

export interface GuardProviderStreamOptions {
  provider: string;
  request: ProviderRequest;
  signal?: AbortSignal;
  countTokens?: TokenCounter;
  /**
   * The token counter as a function of the text's length alone, when it is one (e.g. `(n) => Math.ceil(n / 4)`;
   * `countTokens` then defaults to it). The guard keeps the output's character counts instead of a
   * copy of its text for the usage estimate: same estimate, no per-delta copy and no text held.
   */
  countTokensOfLength?: (length: number) => number;
  /** Maps a thrown value to a typed error (defaults to {@link mapProviderError}). */
  mapError?: (error: unknown) => TwinError;
}

/** What the guard does with one raw part (see {@link ProviderStreamGuard.take}). */
const DROP = 0;
const PASS = 1;
/** `finish`: the final usage goes out before it, and the stream ends. */
const FINISH = 2;
/** `error`: goes out with usage attached, and the stream ends. */
const FAIL = 3;
type Verdict = typeof DROP | typeof PASS | typeof FINISH | typeof FAIL;

/**
 * Enforces the {@link Provider} contract around an adapter's raw parts, so each adapter only
 * translates its wire format. Adapters hand over parts in batches (one per network read), so the
 * only per-part async step of a stream is this generator's `yield`:
 * - usage parts are held and the LAST one wins (providers resend cumulative usage: overwrite,
 *   never add); it is emitted once, right before `finish` or attached to the final `error`;
 * - a throw becomes an `error` part; a source that ends without `finish`/`error` becomes
 *   `stream_truncated` (or `aborted` when the signal fired);
 * - missing usage is estimated with a tokenizer and flagged `estimated`;
 * - nothing is emitted after the terminal part.
 *
 * {@link guardProviderParts} is the same contract pushed to a callback, one call per raw batch.
 */
export async function* guardProviderStream(
  source: AsyncIterable<readonly StreamPart[]>,
  options: GuardProviderStreamOptions,
): AsyncGenerator<StreamPart, void, undefined> {
  const guard = new ProviderStreamGuard(options);
  try {
    for await (const batch of source) {
      for (let i = 0; i < batch.length; i++) {
        const part = batch[i]!;
        const verdict = guard.take(part);
        if (verdict === PASS) yield part;
        else if (verdict !== DROP) {
          yield* await guard.terminal(part, verdict);
          return;
        }
      }
    }
  } catch (error) {
    yield await guard.thrownPart(error);
    return;
  }
  yield await guard.endedPart();
}

/**
 * The contract of {@link guardProviderStream}, pushed: `onParts` gets the guarded parts of each raw
 * batch in one call (no promise or generator step per part, which is most of what a part costs
 * between a provider's socket and the consumer), the terminal part last. Resolves once the
 * terminal part was handed over; rejects only with what `onParts` threw. The consumer stops the stream through `signal`.
 */
export async function guardProviderParts(
  source: AsyncIterable<readonly StreamPart[]>,
  options: GuardProviderStreamOptions,
  onParts: (parts: readonly StreamPart[]) => void,
): Promise<void> {
  const guarded = new PushedGuard(options, onParts);
  try {
    for await (const batch of source) {
      const end = guarded.batch(batch);
      if (end !== undefined) return await end;
    }
  } catch (error) {
    return guarded.thrown(error);
  }
  return guarded.ended();
}

/** The state of one guarded stream: the usage held, the output so far (for an estimate), content seen. */
class ProviderStreamGuard {
  private usage: Usage | undefined;
  // The text so far, for a usage estimate if the provider sends none: deltas are joined 64 at a
  // time (as the stream buffer's state does), since `output += delta` keeps a 40-byte rope node per
  // delta for the whole stream, more than the text itself. A counter of lengths needs only the
  // character counts: then no text is kept (`undefined`).
  private readonly output: TextCollector | undefined;
  private readonly reasoning: TextCollector | undefined;
  private outputChars = 0;
  private reasoningChars = 0;
  private contentSeen = false;
  // Content after the last usage report means that report predates the end (Anthropic's
  // message_start, Gemini's running totals): its output count is provisional.
  private contentSinceUsage = false;

  constructor(private readonly options: GuardProviderStreamOptions) {
    if (options.countTokensOfLength === undefined) {
      this.output = new TextCollector();
      this.reasoning = new TextCollector();
    }
  }

  /** Records what `part` tells and says what to do with it. */
  take(part: StreamPart): Verdict {
    switch (part.type) {
      case 'usage':
        this.usage = part.usage;
        this.contentSinceUsage = false;
        return DROP;
      case 'text-delta':
        this.addOutput(part.text);
        return PASS;
      case 'reasoning-delta':
        this.reasoningChars += part.text.length;
        this.reasoning?.add(part.text);
        this.content();
        return PASS;
      case 'tool-call-delta':
        this.addOutput(part.argsTextDelta);
        return PASS;
      case 'tool-call-start':
        this.addOutput(part.toolName);
        return PASS;
      case 'tool-call':
        this.content();
        return PASS;
      case 'finish':
        return FINISH;
      case 'error':
        return FAIL;
      default:
        return PASS;
    }
  }

  /** The parts that end the stream for a `finish` or `error` part. */
  async terminal(part: StreamPart, verdict: Verdict): Promise<StreamPart[]> {
    if (verdict === FINISH) return [{ type: 'usage', usage: await this.finalUsage() }, part];
    const error = part as ErrorPart;
    return [error.usage ? error : { ...error, usage: await this.finalUsage(true) }];
  }

  /** The error part for a throw from the source. */
  thrownPart(error: unknown): Promise<ErrorPart> {
    if (this.options.signal?.aborted) return this.errorPart(this.abortedError());
    return this.errorPart((this.options.mapError ?? ((e) => mapProviderError(this.options.provider, e)))(error));
  }

  /** The error part for a source that ended without `finish` or `error`. */
  endedPart(): Promise<ErrorPart> {
    if (this.options.signal?.aborted) return this.errorPart(this.abortedError());
    return this.errorPart(
      new TwinError('stream_truncated', `The ${this.options.provider} stream ended before its final event.`, { provider: this.options.provider }),
    );
  }

  private addOutput(text: string): void {
    this.outputChars += text.length;
    this.output?.add(text);
    this.content();
  }

  private content(): void {
    this.contentSeen = true;
    this.contentSinceUsage = true;
  }

  private async finalUsage(failed = false): Promise<Usage> {
    const usage = this.usage;
    if (!failed && usage && usage.inputTokens !== undefined && usage.outputTokens !== undefined) return usage;
    // On failure, output counts reported before the last content are provisional (Anthropic's
    // message_start says output_tokens: 1): keep the prompt-side counts, count the output ourselves.
    // A usage report after all content (OpenAI's last chunk) is final even if the end marker is lost.
    let partial = usage;
    if (failed && partial && !this.contentSinceUsage && partial.inputTokens !== undefined && partial.outputTokens !== undefined) return partial;
    if (failed && partial) {
      partial = { ...partial };
      delete partial.outputTokens;
      delete partial.reasoningTokens;
    }
    const ofLength = this.options.countTokensOfLength;
    if (ofLength !== undefined) {
      // What estimateUsage counts, from the lengths: the output (text, tools, reasoning), then the reasoning.
      const total = this.outputChars + this.reasoningChars;
      const reasoning = this.reasoningChars;
      const count = this.options.countTokens ?? ((text: string) => ofLength(text.length));
      return fillEstimatedUsage(this.options.request, partial, count, () => (total === 0 ? 0 : ofLength(total)), () => (reasoning > 0 ? ofLength(reasoning) : undefined));
    }
    return estimateUsage({
      request: this.options.request,
      outputText: this.output!.text() + this.reasoning!.text(),
      reasoningText: this.reasoning!.text(),
      partial,
      countTokens: this.options.countTokens,
    });
  }

  private async errorPart(error: TwinError): Promise<ErrorPart> {
    let failure = error;
    // A connection cut after content arrived is a truncated stream, whatever the socket said.
    if (this.contentSeen && failure.code === 'network_error') {
      failure = new TwinError('stream_truncated', `The ${this.options.provider} stream was cut off: ${failure.message}`, {
        provider: this.options.provider,
        cause: failure,
      });
    }
    return { type: 'error', error: { provider: this.options.provider, ...failure.toPayload() }, usage: await this.finalUsage(true) };
  }

  private abortedError(): TwinError {
    return new TwinError('aborted', `The ${this.options.provider} stream was aborted.`, { provider: this.options.provider, retryable: false });
  }
}

/**
 * The loop of {@link guardProviderParts} for a source that pushes its batches itself (the simulated
 * provider's timer): `batch` for each raw batch, then `ended` when the source ends, or `thrown`.
 * The guard's state is its own (a subclass, not a field): a part touches one object, not two.
 */
export class PushedGuard extends ProviderStreamGuard {
  // A throw of the consumer's own is its bug, not the provider's: it is not turned into an error part.
  private consumerThrew = false;

  constructor(
    options: GuardProviderStreamOptions,
    private readonly onParts: (parts: readonly StreamPart[]) => void,
  ) {
    super(options);
  }

  /**
   * Hands the guarded parts of `batch` over. `undefined` while the stream goes on; when the batch
   * ended it, a promise that settles once the terminal part was handed over.
   */
  batch(batch: readonly StreamPart[]): Promise<void> | undefined {
    // The batch itself when every part passes (the usual case: no copy).
    let out: StreamPart[] | undefined;
    for (let i = 0; i < batch.length; i++) {
      const part = batch[i]!;
      const verdict = this.take(part);
      if (verdict === PASS) {
        out?.push(part);
        continue;
      }
      out ??= batch.slice(0, i);
      if (verdict === DROP) continue;
      return this.end(out, part, verdict);
    }
    const parts = out ?? batch;
    if (parts.length > 0) this.deliver(parts);
    return undefined;
  }

  /** The source threw `error`: the error part goes out (a throw of `onParts` itself is rethrown). */
  async thrown(error: unknown): Promise<void> {
    if (this.consumerThrew) throw error;
    this.onParts([await this.thrownPart(error)]);
  }

  /** The source ended without a terminal part. */
  async ended(): Promise<void> {
    this.onParts([await this.endedPart()]);
  }

  private async end(out: StreamPart[], part: StreamPart, verdict: Verdict): Promise<void> {
    out.push(...(await this.terminal(part, verdict)));
    this.deliver(out);
  }

  private deliver(parts: readonly StreamPart[]): void {
    try {
      this.onParts(parts);
    } catch (error) {
      this.consumerThrew = true;
      throw error;
    }
  }
}

/** Text appended in pieces, joined 64 pieces at a time. */
class TextCollector {
  private joined = '';
  private readonly pieces: string[] = [];

  add(piece: string): void {
    this.pieces.push(piece);
    if (this.pieces.length >= 64) this.join();
  }

  text(): string {
    if (this.pieces.length > 0) this.join();
    return this.joined;
  }

  private join(): void {
    this.joined += this.pieces.join('');
    this.pieces.length = 0;
  }
}
