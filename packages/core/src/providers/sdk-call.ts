import { parseEventBatches } from './parse-event-batches';
import { readServerSentEventBatches } from './read-server-sent-event-batches';

/**
 * What an official SDK's `create({ stream: true })` returns: a promise of an async iterable of
 * parsed events, which (for `openai` and `@anthropic-ai/sdk`) also offers `asResponse()`, the raw
 * HTTP response before the SDK parses it.
 */
export type SdkStreamCall = PromiseLike<AsyncIterable<unknown>> & { asResponse?: () => Promise<Response> };

/**
 * The raw response body of an SDK call when the SDK exposes it. Twin then parses the SSE itself
 * (several times faster than the SDK's parser, see bench/provider-openai.bench.ts) while the
 * user's client still does everything else: auth, base URL, headers, custom fetch, HTTP errors.
 */
export async function sdkResponseBody(call: SdkStreamCall): Promise<ReadableStream<Uint8Array> | undefined> {
  if (typeof call.asResponse !== 'function') return undefined;
  const response = await call.asResponse();
  return response.body ?? undefined;
}

/**
 * The events of an SDK call whose SSE `data` is JSON (Anthropic Messages, OpenAI Responses), as
 * batches for `mapEventBatches`: parsed by Twin from the raw body, one batch per network
 * read, when the SDK exposes it; otherwise the SDK's own parsed events, one per batch.
 */
export async function sdkEventBatches(call: SdkStreamCall, provider: string, endMarker?: string): Promise<AsyncIterable<unknown[]>> {
  const body = await sdkResponseBody(call);
  return body ? parseEventBatches(readServerSentEventBatches(body), provider, endMarker) : singleEventBatches(await call);
}

async function* singleEventBatches(events: AsyncIterable<unknown>): AsyncGenerator<unknown[]> {
  for await (const event of events) yield [event];
}
