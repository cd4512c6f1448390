import type { IncomingMessage, ServerResponse } from 'node:http';
import { TwinError, safeParseJSON, toTwinError } from '@twin/core';
import type { z } from 'zod';
import { describeValue } from './describe-value';
import { findInvalidUtf8 } from './find-invalid-utf8';
import { findUnknownKeys } from './find-unknown-keys';
import { invalidInputError, unknownKeysError } from './invalid-input-error';

/** Writes a JSON answer. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(text);
}

/**
 * The body of every error answer, whatever the status (400 to 503, 401/405/413 included):
 * `{ error: { code, message, retryable, details, ... } }`, `details` always an object (`{}` when
 * there is nothing to add). `details` is repeated at the top level for clients written against
 * the first shape.
 */
export function errorBody(twin: TwinError): { error: Record<string, unknown>; details?: unknown } {
  const internal = twin.status >= 500 && twin.code === 'internal';
  // 5xx never carry the internal message or details, which are logged instead.
  const details = twin.status < 500 && twin.details !== undefined ? twin.details : {};
  const payload = { ...twin.toPayload(), ...(internal ? { message: 'Internal server error.' } : {}), details };
  return { error: payload, ...(twin.status < 500 && twin.details !== undefined ? { details: twin.details } : {}) };
}

/** Answers with a structured error (see {@link errorBody}). */
export function sendError(res: ServerResponse, error: unknown): void {
  const twin = toTwinError(error);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: Record<string, string> = {};
  if (twin.retryAfterMs !== undefined) headers['Retry-After'] = String(Math.max(1, Math.ceil(twin.retryAfterMs / 1000)));
  sendJson(res, twin.status, errorBody(twin), headers);
}

/** Largest JSON body accepted (a long conversation fits; a runaway upload does not). */
export const MAX_BODY_BYTES = 2 * 1024 * 1024;

function tooLarge(): TwinError {
  return new TwinError('payload_too_large', `Body larger than ${MAX_BODY_BYTES} bytes.`, { details: { field: '(body)', allowed: `at most ${MAX_BODY_BYTES} bytes` } });
}

/**
 * Reads a JSON body. A body already parsed by `express.json()` is taken as is, so the router works
 * with or without it.
 */
export async function readJsonBody(req: IncomingMessage & { body?: unknown }): Promise<unknown> {
  if (req.body !== undefined && typeof req.body === 'object' && req.body !== null && !Buffer.isBuffer(req.body)) return req.body;
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) {
    throw new TwinError('invalid_request', 'Send the body as JSON with "Content-Type: application/json".', {
      details: { field: 'content-type', received: describeValue(type), allowed: 'application/json' },
    });
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw tooLarge();
    chunks.push(chunk);
  }
  const bytes = Buffer.concat(chunks);
  const bad = findInvalidUtf8(bytes);
  if (bad !== -1) {
    throw new TwinError('invalid_request', `Body is not valid UTF-8: byte ${bad} (0x${bytes[bad]!.toString(16).padStart(2, '0')}) starts an ill-formed sequence.`, {
      details: { field: '(body)', byteOffset: bad, allowed: 'UTF-8 encoded JSON' },
    });
  }
  const parsed = safeParseJSON(bytes.toString('utf8'));
  if (!parsed.success) throw new TwinError('invalid_request', `Body is not valid JSON: ${parsed.error.message}`, { details: { field: '(body)' } });
  return parsed.value;
}

/**
 * Validates with zod after refusing keys the schema does not know (one policy for every body and
 * query). The 400 names the field, quotes what was received and says what is allowed.
 */
export function validate<S extends z.ZodType>(schema: S, value: unknown, where: string): z.infer<S> {
  const unknown = findUnknownKeys(schema, value);
  if (unknown.length) throw unknownKeysError(where, unknown);
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw invalidInputError(where, result.error.issues, value);
}
