import { TwinError } from '../errors/twin-error';
import type { ErrorPart, StreamPart } from '../protocol/stream-part';
import type { Usage } from '../protocol/usage';
import { estimateUsage, type TokenCounter } from './estimate-usage';
import type { ProviderRequest } from './provider';
import { mapProviderError } from './provider-error';

export interface GuardProviderStreamOptions {
  provider: string;
  request: ProviderRequest;
  signal?: AbortSignal;
  countTokens?: TokenCounter;
  /** Maps a thrown value to a typed error (defaults to {@link mapProviderError}). */
  mapError?: (error: unknown) => TwinError;
}

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
 */
export async function* guardProviderStream(
  source: AsyncIterable<readonly StreamPart[]>,
  options: GuardProviderStreamOptions,
): AsyncGenerator<StreamPart, void, undefined> {
  let usage: Usage | undefined;
  // The text so far, for a usage estimate if the provider sends none: deltas are joined 64 at a
  // time (as the stream buffer's state does), since `output += delta` keeps a 40-byte rope node per
  // delta for the whole stream, more than the text itself.
  const output = new TextCollector();
  const reasoning = new TextCollector();
  let contentSeen = false;
  // Content after the last usage report means that report predates the end (Anthropic's
  // message_start, Gemini's running totals): its output count is provisional.
  let contentSinceUsage = false;

  const finalUsage = async (failed = false): Promise<Usage> => {
    if (!failed && usage && usage.inputTokens !== undefined && usage.outputTokens !== undefined) return usage;
    // On failure, output counts reported before the last content are provisional (Anthropic's
    // message_start says output_tokens: 1): keep the prompt-side counts, count the output ourselves.
    // A usage report after all content (OpenAI's last chunk) is final even if the end marker is lost.
    let partial = usage;
    if (failed && partial && !contentSinceUsage && partial.inputTokens !== undefined && partial.outputTokens !== undefined) return partial;
    if (failed && partial) {
      partial = { ...partial };
      delete partial.outputTokens;
      delete partial.reasoningTokens;
    }
    return estimateUsage({
      request: options.request,
      outputText: output.text() + reasoning.text(),
      reasoningText: reasoning.text(),
      partial,
      countTokens: options.countTokens,
    });
  };
  const errorPart = async (error: TwinError): Promise<ErrorPart> => {
    let failure = error;
    // A connection cut after content arrived is a truncated stream, whatever the socket said.
    if (contentSeen && failure.code === 'network_error') {
      failure = new TwinError('stream_truncated', `The ${options.provider} stream was cut off: ${failure.message}`, {
        provider: options.provider,
        cause: failure,
      });
    }
    return { type: 'error', error: { provider: options.provider, ...failure.toPayload() }, usage: await finalUsage(true) };
  };
  const abortedError = () =>
    new TwinError('aborted', `The ${options.provider} stream was aborted.`, { provider: options.provider, retryable: false });

  try {
    for await (const batch of source) {
      for (let i = 0; i < batch.length; i++) {
        const part = batch[i]!;
        switch (part.type) {
          case 'usage':
            usage = part.usage;
            contentSinceUsage = false;
            continue;
          case 'text-delta':
            output.add(part.text);
            contentSeen = true;
            contentSinceUsage = true;
            break;
          case 'reasoning-delta':
            reasoning.add(part.text);
            contentSeen = true;
            contentSinceUsage = true;
            break;
          case 'tool-call-delta':
            output.add(part.argsTextDelta);
            contentSeen = true;
            contentSinceUsage = true;
            break;
          case 'tool-call-start':
            output.add(part.toolName);
            contentSeen = true;
            contentSinceUsage = true;
            break;
          case 'tool-call':
            contentSeen = true;
            contentSinceUsage = true;
            break;
          case 'finish':
            yield { type: 'usage', usage: await finalUsage() };
            yield part;
            return;
          case 'error': {
            const merged: ErrorPart = part.usage ? part : { ...part, usage: await finalUsage(true) };
            yield merged;
            return;
          }
          default:
            break;
        }
        yield part;
      }
    }
  } catch (error) {
    if (options.signal?.aborted) {
      yield await errorPart(abortedError());
      return;
    }
    yield await errorPart((options.mapError ?? ((e) => mapProviderError(options.provider, e)))(error));
    return;
  }
  if (options.signal?.aborted) {
    yield await errorPart(abortedError());
    return;
  }
  yield await errorPart(
    new TwinError('stream_truncated', `The ${options.provider} stream ended before its final event.`, { provider: options.provider }),
  );
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
