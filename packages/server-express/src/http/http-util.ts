import type { IncomingMessage, ServerResponse } from 'node:http';
import { TwinError, safeParseJSON, toTwinError } from '@twin/core';
import type { z } from 'zod';

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
 * Answers with a structured error (DESIGN.md §2 shape under `error`). 4xx carry `details` (e.g. the
 * invalid field); 5xx never carry the internal message, which is logged instead.
 */
export function sendError(res: ServerResponse, error: unknown): void {
  const twin = toTwinError(error);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: Record<string, string> = {};
  if (twin.retryAfterMs !== undefined) headers['Retry-After'] = String(Math.max(1, Math.ceil(twin.retryAfterMs / 1000)));
  const payload = twin.status >= 500 && twin.code === 'internal' ? { ...twin.toPayload(), message: 'Internal server error.' } : twin.toPayload();
  sendJson(res, twin.status, { error: payload, ...(twin.status < 500 && twin.details !== undefined ? { details: twin.details } : {}) }, headers);
}

/** Largest JSON body accepted (a long conversation fits; a runaway upload does not). */
export const MAX_BODY_BYTES = 2 * 1024 * 1024;

/**
 * Reads a JSON body. A body already parsed by `express.json()` is taken as is, so the router works
 * with or without it.
 */
export async function readJsonBody(req: IncomingMessage & { body?: unknown }): Promise<unknown> {
  if (req.body !== undefined && typeof req.body === 'object' && req.body !== null && !Buffer.isBuffer(req.body)) return req.body;
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) {
    throw new TwinError('invalid_request', 'Send the body as JSON with "Content-Type: application/json".', { details: { field: 'content-type' } });
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) throw new TwinError('payload_too_large', `Body larger than ${MAX_BODY_BYTES} bytes.`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new TwinError('payload_too_large', `Body larger than ${MAX_BODY_BYTES} bytes.`);
    chunks.push(chunk);
  }
  const parsed = safeParseJSON(Buffer.concat(chunks).toString('utf8'));
  if (!parsed.success) throw new TwinError('invalid_request', `Body is not valid JSON: ${parsed.error.message}`, { details: { field: '(body)' } });
  return parsed.value;
}

/** Validates with zod; the 400 names the first invalid field (`messages.0.role: ...`). */
export function validate<S extends z.ZodType>(schema: S, value: unknown, where: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ field: i.path.map(String).join('.') || '(root)', message: i.message }));
  const first = issues[0]!;
  throw new TwinError('invalid_request', `Invalid ${where}: ${first.field}: ${first.message}`, { details: { field: first.field, issues } });
}
