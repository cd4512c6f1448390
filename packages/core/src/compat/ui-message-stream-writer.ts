import { SSE_HEARTBEAT } from '../sse/encode-sse';
import { utf8ByteLength } from '../sse/utf8-byte-length';
import type { ConnectionWriter } from '../stream/connection-writer';
import { UIMessageChunker } from './ui-message-chunks';

/**
 * Response headers of the AI SDK's UI message stream (its `UI_MESSAGE_STREAM_HEADERS`): the version
 * header tells `useChat` which protocol it reads.
 */
export const UI_MESSAGE_STREAM_HEADERS = {
  'Content-Type': 'text/event-stream',
  'Cache-Control': 'no-cache',
  'X-Vercel-AI-UI-Message-Stream': 'v1',
  'X-Accel-Buffering': 'no',
} as const;

export interface UIMessageStreamWriterOptions {
  /** Told the UTF-8 bytes and messages of every write, for metering (e.g. `session.recordWrite`). */
  onWrite?: (bytes: number, events: number) => void;
}

/**
 * A connection writer that speaks the AI SDK's UI message stream: `data: <chunk JSON>` messages
 * without event names or ids, then `data: [DONE]` after `finish` or `error` (what the AI SDK's own
 * `JsonToSseTransformStream` writes). Heartbeats stay SSE comments, which its parser skips.
 */
export function createUIMessageStreamWriter(options: UIMessageStreamWriterOptions = {}): ConnectionWriter {
  const chunker = new UIMessageChunker();
  let bytesWritten = 0;
  let eventsWritten = 0;
  const record = (text: string, events: number) => {
    if (text === '') return;
    const bytes = utf8ByteLength(text);
    bytesWritten += bytes;
    eventsWritten += events;
    options.onWrite?.(bytes, events);
  };
  return {
    write(events) {
      let out = '';
      let count = 0;
      for (const event of events) {
        if (event.type === 'heartbeat') {
          out += SSE_HEARTBEAT;
          continue;
        }
        const wasDone = chunker.done;
        for (const chunk of chunker.push(event)) {
          out += `data: ${JSON.stringify(chunk)}\n\n`;
          count++;
        }
        if (chunker.done && !wasDone) {
          out += 'data: [DONE]\n\n';
          count++;
        }
      }
      record(out, count);
      return out;
    },
    heartbeat() {
      record(SSE_HEARTBEAT, 0);
      return SSE_HEARTBEAT;
    },
    get bytesWritten() {
      return bytesWritten;
    },
    get eventsWritten() {
      return eventsWritten;
    },
  };
}
