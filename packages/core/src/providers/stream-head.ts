import { TwinError } from '../errors/twin-error';
import { isContentPart, type ErrorPart, type StreamPart } from '../protocol/stream-part';
import type { ProviderEnvironment } from './environment';

/** What a stream did before its first content part. */
export interface StreamHead {
  /** Parts seen before the outcome (response metadata), plus the deciding part itself. */
  head: StreamPart[];
  /**
   * `content`: the first content part arrived (it is the last of `head`); `finish`: the stream
   * completed without content; `error`: it failed before any content (the error is the last of `head`).
   */
  outcome: 'content' | 'finish' | 'error';
  /** The rest of the stream, to pass through once the caller commits to it. */
  rest: AsyncIterator<StreamPart>;
}

/**
 * Reads a provider stream up to its first content part. Before that point a failure can still be
 * handled by trying again or elsewhere (nothing reached the client); after it, it cannot without
 * repeating text. With `firstTokenTimeoutMs`, a provider that sends no content in time is given up
 * on: `onTimeout` is called (to abort its request) and the outcome is a `provider_timeout` error.
 */
export async function readStreamHead(
  stream: AsyncIterable<StreamPart>,
  options: { provider: string; firstTokenTimeoutMs?: number; env: ProviderEnvironment; onTimeout?: () => void },
): Promise<StreamHead> {
  const rest = stream[Symbol.asyncIterator]();
  const head: StreamPart[] = [];
  const deadline = options.firstTokenTimeoutMs !== undefined ? options.env.now() + options.firstTokenTimeoutMs : undefined;
  const timer = new AbortController();
  try {
    for (;;) {
      const next = rest.next();
      let result: IteratorResult<StreamPart> | 'timeout';
      if (deadline === undefined) result = await next;
      else {
        const remaining = Math.max(0, deadline - options.env.now());
        result = await Promise.race([next, options.env.sleep(remaining, timer.signal).then(() => 'timeout' as const)]);
      }
      if (result === 'timeout') {
        options.onTimeout?.();
        // Let the aborted stream settle (it ends with an `aborted` error part) so its connection is released.
        void next.then(() => rest.return?.()).catch(() => undefined);
        const error = new TwinError('provider_timeout', `${options.provider} sent no content within ${options.firstTokenTimeoutMs} ms.`, {
          provider: options.provider,
        });
        const part: ErrorPart = { type: 'error', error: error.toPayload() };
        head.push(part);
        return { head, outcome: 'error', rest };
      }
      if (result.done) {
        const error = new TwinError('stream_truncated', `${options.provider} ended its stream without a result.`, { provider: options.provider });
        head.push({ type: 'error', error: error.toPayload() });
        return { head, outcome: 'error', rest };
      }
      const part = result.value;
      head.push(part);
      if (isContentPart(part)) return { head, outcome: 'content', rest };
      if (part.type === 'finish') return { head, outcome: 'finish', rest };
      if (part.type === 'error') return { head, outcome: 'error', rest };
    }
  } finally {
    timer.abort();
  }
}
