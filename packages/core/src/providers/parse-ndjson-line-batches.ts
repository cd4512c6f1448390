import { TwinError } from '../errors/twin-error';
import { safeParseJSON } from '../util/safe-parse-json';

/**
 * Parses batches of NDJSON lines (from {@link readNdjsonLineBatches}) into batches of values,
 * keeping the per-network-read batching. A line that is not JSON is a protocol error
 * (`provider_error`) when another line follows it, but when it is the last line it was cut off
 * with the connection: the stream is `stream_truncated`. Values parsed before a bad line are
 * handed over first, so a consumer that stops at its terminal line never sees a later error.
 */
export async function* parseNdjsonLineBatches(batches: AsyncIterable<readonly string[]>, provider: string): AsyncGenerator<unknown[]> {
  let unparsable: Error | undefined;
  for await (const lines of batches) {
    const parsed: unknown[] = [];
    for (const line of lines) {
      if (unparsable) {
        if (parsed.length) yield parsed;
        throw new TwinError('provider_error', `${provider} sent a line that is not JSON.`, { provider, cause: unparsable });
      }
      const result = safeParseJSON(line);
      if (result.success) parsed.push(result.value);
      else unparsable = result.error;
    }
    if (parsed.length) yield parsed;
  }
  if (unparsable) throw new TwinError('stream_truncated', `The ${provider} stream ended inside a line.`, { provider, cause: unparsable });
}
