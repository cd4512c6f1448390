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

/**
 * A model id from a path (`/v1/models/{id}`): `provider/model` names carry slashes and dots, so
 * the stream id shape does not fit; 1 to 256 characters, no control characters.
 */
export function modelIdParam(raw: string, field: string): string {
  let value = raw;
  try {
    value = decodeURIComponent(raw);
  } catch {
    value = raw;
  }
  // eslint-disable-next-line no-control-regex
  if (value.length === 0 || value.length > 256 || /[\u0000-\u001f\u007f]/.test(value)) {
    throw new TwinError('invalid_request', `Invalid ${field}: ${describeValue(value)} is not a model id (1 to 256 characters, no control characters).`, {
      details: { field, received: describeValue(value) },
    });
  }
  return value;
}
