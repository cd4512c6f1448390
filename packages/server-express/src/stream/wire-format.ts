import type { IncomingMessage, ServerResponse } from 'node:http';
import { createConnectionWriter, type ConnectionWriter, type ConnectionWriterOptions } from '@twin/core';
import { openSSEResponse, type SSEResponse, type SSEResponseOptions } from '../http/sse-response';

/**
 * What one connection of a stream looks like on the wire. The stream (provider, session, flush
 * rules, backpressure, metering, billing) is the same whatever the format; only the response and
 * the text written to it change: Twin's own SSE, OpenAI's chunks, Anthropic's events, or one JSON
 * answer once the stream ended.
 */
export interface WireFormat {
  /** The writer of one connection (the first one and every resume). */
  createWriter(options: ConnectionWriterOptions): ConnectionWriter;
  /** Opens the response of one connection. */
  openResponse(req: IncomingMessage, res: ServerResponse, options: SSEResponseOptions): SSEResponse;
  /**
   * Whether a client of this format can come back for the rest (default true). OpenAI's and
   * Anthropic's clients cannot resume a stream, so keeping its provider running through the detach
   * grace would only bill output nobody can read: a stream of such a door stops when its client goes.
   */
  resumable?: boolean;
  /** Response headers every connection of this format adds (after `X-Twin-Stream-Id`). */
  headers?: Readonly<Record<string, string>>;
}

/** Twin's own SSE protocol: what `/api/stream` speaks and what every resume gets. */
export const TWIN_SSE_FORMAT: WireFormat = {
  createWriter: createConnectionWriter,
  openResponse: openSSEResponse,
};
