import { CompatAnswer, createConnectionWriter, type CostReceipt } from '@twin/core';
import type { SSEResponse } from '../sse-response';
import type { WireFormat } from '../../stream/wire-format';

/** The HTTP answer built from a collected stream. */
export interface JsonAnswer {
  status: number;
  body: unknown;
}

/** `Retry-After` (seconds) for an answer that failed with a retry hint. */
export function retryAfterHeader(retryAfterMs: number | undefined): Record<string, string> {
  return retryAfterMs === undefined ? {} : { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) };
}

/** Headers that tell a non-streaming client what the call cost (its body may be an SDK's typed object). */
export function costHeaders(cost: CostReceipt | undefined): Record<string, string> {
  if (!cost) return {};
  return {
    'X-Twin-Cost': cost.total,
    'X-Twin-Cost-Currency': cost.currency,
    ...(cost.recordId ? { 'X-Twin-Billing-Record': cost.recordId } : {}),
    ...(cost.estimated ? { 'X-Twin-Cost-Estimated': 'true' } : {}),
  };
}

/**
 * The non-streamed form of a compatible door: the stream runs exactly as a streamed one (same
 * session, metering, billing, audit, disconnect handling), its events are collected, and once it
 * ended the response is one JSON body with a status that says how it ended.
 *
 * Metering: nothing reaches the client before the bill is made, so the stream is metered as Twin's
 * own SSE encoding of the same events (what `/api/stream` would have sent): a non-streamed call is
 * billed like the streamed call of the same request.
 */
export function jsonAnswerFormat(build: (answer: CompatAnswer) => JsonAnswer): WireFormat {
  const answer = new CompatAnswer();
  return {
    createWriter(options) {
      const meter = createConnectionWriter({ streamId: options.streamId, ...(options.onWrite ? { onWrite: options.onWrite } : {}) });
      return {
        write(events) {
          meter.write(events);
          for (const event of events) answer.push(event);
          return '';
        },
        // A JSON answer cannot carry a keep-alive before its status line.
        heartbeat: () => '',
        get bytesWritten() {
          return meter.bytesWritten;
        },
        get eventsWritten() {
          return meter.eventsWritten;
        },
      };
    },
    resumable: false,
    openResponse(_req, res, options): SSEResponse {
      let endedByUs = false;
      let closed = false;
      res.on('close', () => {
        closed = true;
        if (!endedByUs) options.onClientClose();
      });
      return {
        write: () => true,
        backpressure: false,
        queuedBytes: 0,
        queuedUtf8Bytes: 0,
        get bytesWritten() {
          return 0;
        },
        get closed() {
          return closed;
        },
        overflowed: false,
        end() {
          if (endedByUs || closed) return;
          endedByUs = true;
          const { status, body } = build(answer);
          const text = JSON.stringify(body);
          res.writeHead(status, {
            'Content-Type': 'application/json; charset=utf-8',
            'Content-Length': String(Buffer.byteLength(text)),
            'Cache-Control': 'no-store',
            ...options.headers,
            ...costHeaders(answer.complete?.cost),
            ...(status >= 400 ? retryAfterHeader(answer.error?.retryAfterMs) : {}),
          });
          res.end(text);
        },
      };
    },
  };
}
