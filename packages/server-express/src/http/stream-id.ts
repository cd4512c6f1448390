import { TwinError } from '@twin/core';
import { describeValue } from './describe-value';

/**
 * The declared shape of a stream id: what the server mints (`str_` + base64url) and nothing else a
 * client could send. Checked before any lookup, so a NUL, a slash or a megabyte never reaches
 * storage. `:` is not in it, so an SSE id can carry `<streamId>:<seq>` unambiguously.
 */
export const STREAM_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

/** Checks a stream id from a path segment (still percent-encoded) or a query value; 400 otherwise. */
export function streamIdParam(raw: string, field: string, encoded = true): string {
  let value = raw;
  if (encoded) {
    try {
      value = decodeURIComponent(raw);
    } catch {
      value = raw;
    }
  }
  if (!STREAM_ID_PATTERN.test(value)) {
    throw new TwinError('invalid_request', `Invalid ${field}: ${describeValue(value)} is not a stream id (allowed: 1 to 128 of A-Z a-z 0-9 _ -).`, {
      details: { field, received: describeValue(value), allowed: STREAM_ID_PATTERN.source },
    });
  }
  return value;
}
