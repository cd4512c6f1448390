import type { TwinErrorCode } from '@twin/core';
import { parseErrorBody } from './parse-wire-event';
import { TwinClientError } from './twin-client-error';

// The code for an HTTP error whose body named none (Twin servers always name one).
const codeForStatus = (status: number): TwinErrorCode =>
  status === 401 ? 'unauthorized' : status === 429 ? 'rate_limited' : status < 500 ? 'invalid_request' : 'provider_unavailable';

/** `Retry-After` as milliseconds (seconds or an HTTP date, relative to `now`, the clock). */
function retryAfter(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - now;
  return Number.isFinite(ms) && ms > 0 ? Math.ceil(ms) : undefined;
}

/**
 * The error a non-2xx answer stands for: the code and message its body names (else one derived
 * from the status), `Retry-After` honoured. Retryable — worth a resumed connection — for 5xx, 408
 * and 429; any other 4xx ends the stream for good.
 */
export async function httpError(res: Response, now: () => number): Promise<TwinClientError> {
  const info = parseErrorBody(await res.text().catch(() => ''));
  const retryable = res.status >= 500 || res.status === 408 || res.status === 429;
  return new TwinClientError((info.code as TwinErrorCode | undefined) ?? codeForStatus(res.status), info.message ?? `HTTP ${res.status}`, {
    status: res.status,
    retryable,
    provider: info.provider,
    retryAfterMs: retryAfter(res.headers.get('retry-after'), now()),
  });
}
