import type { Duplex } from 'node:stream';
import { TwinError } from '@twin/core';
import { errorBody } from './http-util';

/** Node's parser error codes that have a more precise status than 400. */
const STATUS_BY_PARSER_CODE: Record<string, number> = {
  HPE_HEADER_OVERFLOW: 431,
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 413,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
};

const REASON: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 413: 'Payload Too Large', 431: 'Request Header Fields Too Large' };

/**
 * A `server.on('clientError', answerClientError)` listener: a request Node's HTTP parser refuses
 * (malformed or oversized headers, a smuggling attempt such as both `Content-Length` and
 * `Transfer-Encoding`) gets the same JSON error body as every other refusal, instead of Node's bare
 * `400 Bad Request`, whenever the socket can still be written. The connection is closed after it:
 * once the parser lost track of message boundaries nothing else on it can be trusted.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  // The peer already left (or the socket is mid-response): nothing can be answered.
  if (error.code === 'ECONNRESET' || !socket.writable || (socket as { _httpMessage?: unknown })._httpMessage) {
    socket.destroy();
    return;
  }
  const status = STATUS_BY_PARSER_CODE[error.code ?? ''] ?? 400;
  const twin = new TwinError(status === 413 ? 'payload_too_large' : 'invalid_request', `The HTTP request could not be parsed (${error.code ?? 'malformed'}).`, {
    status,
    details: { field: '(http)', parserCode: error.code ?? null },
  });
  const text = JSON.stringify(errorBody(twin));
  socket.end(
    `HTTP/1.1 ${status} ${REASON[status] ?? 'Bad Request'}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(text)}\r\n` +
      'Cache-Control: no-store\r\n' +
      'Connection: close\r\n\r\n' +
      text,
  );
}
