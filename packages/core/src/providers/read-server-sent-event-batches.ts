import { createParser, type EventSourceMessage } from 'eventsource-parser';

/**
 * Reads a fetch body as Server-Sent Events, yielding the events of each network read as one
 * batch (one async step per read instead of per event: the hot path of every SSE adapter). Bytes
 * are decoded with a streaming TextDecoder, so a multi-byte UTF-8 character split across reads is
 * reassembled, and eventsource-parser handles every framing detail (CRLF, comments, multi-line
 * data, events cut at any byte).
 *
 * Leaving the loop early (break, throw, abort) cancels the body, which closes the connection.
 */
export async function* readServerSentEventBatches(body: ReadableStream<Uint8Array>): AsyncGenerator<EventSourceMessage[], void, undefined> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let batch: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => batch.push(event) });
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
      if (batch.length) {
        const events = batch;
        batch = [];
        yield events;
      }
    }
    // Per the SSE spec an event not terminated by a blank line at end of stream is discarded.
    parser.feed(decoder.decode());
    if (batch.length) yield batch;
    finished = true;
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
