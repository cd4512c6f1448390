import { createParser, type EventSourceMessage } from 'eventsource-parser';

/**
 * Reads a fetch body as Server-Sent Events. Bytes are decoded with a streaming TextDecoder, so a
 * multi-byte UTF-8 character split across network chunks is reassembled, and eventsource-parser
 * handles every framing detail (CRLF, comments, multi-line data, events cut at any byte).
 *
 * Leaving the loop early (break, throw, abort) cancels the body, which closes the connection.
 */
export async function* readServerSentEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<EventSourceMessage, void, undefined> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const queue: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => queue.push(event) });
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
      for (let i = 0; i < queue.length; i++) yield queue[i]!;
      queue.length = 0;
    }
    // Per the SSE spec an event not terminated by a blank line at end of stream is discarded.
    parser.feed(decoder.decode());
    for (const event of queue) yield event;
    finished = true;
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
