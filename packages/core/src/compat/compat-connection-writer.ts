import type { StreamEvent } from '../protocol/stream-event';
import { utf8ByteLength } from '../sse/utf8-byte-length';
import type { ConnectionWriter } from '../stream/connection-writer';

/** One event of Twin's stream in another wire format: the text to send and how many messages it holds. */
export interface EncodedEvent {
  text: string;
  messages: number;
}

export interface CompatConnectionWriterOptions {
  /** Translates one Twin event (stateful translators keep their state in the closure). */
  encode(event: Exclude<StreamEvent, { type: 'heartbeat' }>): EncodedEvent;
  /** What a heartbeat is in this format (an SSE comment, or Anthropic's `ping`). */
  heartbeat: string;
  /** Told the UTF-8 bytes and messages of every write, for metering (e.g. `session.recordWrite`). */
  onWrite?: (bytes: number, events: number) => void;
}

/**
 * A {@link ConnectionWriter} for a wire format other than Twin's own SSE: the stream session, its
 * flush rules, backpressure, metering and billing stay the same, only the text on the socket changes.
 */
export function createCompatConnectionWriter(options: CompatConnectionWriterOptions): ConnectionWriter {
  let bytesWritten = 0;
  let eventsWritten = 0;
  const record = (text: string, messages: number) => {
    if (text === '') return;
    const bytes = utf8ByteLength(text);
    bytesWritten += bytes;
    eventsWritten += messages;
    options.onWrite?.(bytes, messages);
  };
  return {
    write(events) {
      let out = '';
      let messages = 0;
      for (const event of events) {
        if (event.type === 'heartbeat') {
          out += options.heartbeat;
          continue;
        }
        const encoded = options.encode(event);
        out += encoded.text;
        messages += encoded.messages;
      }
      record(out, messages);
      return out;
    },
    heartbeat() {
      record(options.heartbeat, 0);
      return options.heartbeat;
    },
    get bytesWritten() {
      return bytesWritten;
    },
    get eventsWritten() {
      return eventsWritten;
    },
  };
}
