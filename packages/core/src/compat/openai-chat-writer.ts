import { SSE_HEARTBEAT } from '../sse/encode-sse';
import type { ConnectionWriter } from '../stream/connection-writer';
import { createCompatConnectionWriter } from './compat-connection-writer';
import { OpenAIChatChunker, type OpenAIChatChunkerOptions } from './openai-chat-chunks';

export interface OpenAIChatWriterOptions extends OpenAIChatChunkerOptions {
  onWrite?: (bytes: number, events: number) => void;
}

/**
 * A connection writer that speaks OpenAI's streamed Chat Completions: `data: <chunk JSON>` messages
 * (no event names), `data: [DONE]` after a completed stream, `data: {"error":…}` for an error.
 * Heartbeats stay SSE comments, which every SSE parser skips.
 */
export function createOpenAIChatWriter(options: OpenAIChatWriterOptions): ConnectionWriter {
  const chunker = new OpenAIChatChunker(options);
  return createCompatConnectionWriter({
    heartbeat: SSE_HEARTBEAT,
    ...(options.onWrite ? { onWrite: options.onWrite } : {}),
    encode(event) {
      const out = chunker.push(event);
      let text = '';
      for (const chunk of out.chunks) text += `data: ${JSON.stringify(chunk)}\n\n`;
      let messages = out.chunks.length;
      if (out.error) {
        text += `data: ${JSON.stringify(out.error)}\n\n`;
        messages++;
      }
      if (out.done) {
        text += 'data: [DONE]\n\n';
        messages++;
      }
      return { text, messages };
    },
  });
}
