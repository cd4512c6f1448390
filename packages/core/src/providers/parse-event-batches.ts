import { TwinError } from '../errors/twin-error';
import { safeParseJSON } from '../util/safe-parse-json';

/** Stands in a batch for a provider's non-JSON end marker (OpenAI Chat's `data: [DONE]`). */
export const END_MARKER: unique symbol = Symbol('end-marker');

/**
 * Parses batches of Server-Sent Events whose `data` is JSON (Anthropic Messages, OpenAI Responses
 * and Chat, Gemini) into batches of values, keeping the per-network-read batching of the reader.
 * Events with empty `data` are skipped; an event whose data is exactly `endMarker` becomes
 * {@link END_MARKER}. Any other event that is not JSON fails the stream with `provider_error`,
 * after the values parsed before it in the same batch were handed over.
 */
export async function* parseEventBatches(
  batches: AsyncIterable<ReadonlyArray<{ data: string }>>,
  provider: string,
  endMarker?: string,
): AsyncGenerator<unknown[]> {
  for await (const events of batches) {
    const parsed: unknown[] = [];
    for (const event of events) {
      if (event.data === '') continue;
      if (event.data === endMarker) {
        parsed.push(END_MARKER);
        continue;
      }
      const result = safeParseJSON(event.data);
      if (!result.success) {
        // Events before the bad one still count: hand them over, then fail.
        if (parsed.length) yield parsed;
        throw new TwinError('provider_error', `${provider} sent an event that is not JSON.`, { provider, cause: result.error });
      }
      parsed.push(result.value);
    }
    if (parsed.length) yield parsed;
  }
}
