import type { ConnectionWriter } from '../stream/connection-writer';
import { AnthropicMessageEvents, type AnthropicMessageEventsOptions } from './anthropic-message-events';
import { createCompatConnectionWriter } from './compat-connection-writer';

export interface AnthropicMessagesWriterOptions extends AnthropicMessageEventsOptions {
  onWrite?: (bytes: number, events: number) => void;
}

/** Anthropic's keep-alive: a `ping` event, as its own servers send. */
const PING = 'event: ping\ndata: {"type":"ping"}\n\n';

/** A connection writer that speaks Anthropic's streamed Messages API (`event:` + `data:` per event). */
export function createAnthropicMessagesWriter(options: AnthropicMessagesWriterOptions): ConnectionWriter {
  const events = new AnthropicMessageEvents(options);
  return createCompatConnectionWriter({
    heartbeat: PING,
    ...(options.onWrite ? { onWrite: options.onWrite } : {}),
    encode(event) {
      const out = events.push(event);
      let text = '';
      for (const e of out) text += `event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`;
      return { text, messages: out.length };
    },
  });
}
