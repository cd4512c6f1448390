import { TwinError, type TwinErrorCode } from '../errors/twin-error';

/**
 * Turns whatever a provider (or its SDK, or fetch) failed with into a typed {@link TwinError}.
 * SDK errors are recognised structurally (`status`, `headers`, `error`, class name) so core never
 * imports an SDK at runtime.
 */

/** Milliseconds to wait from `retry-after-ms`, `retry-after` (seconds or an HTTP date). */
export function parseRetryAfter(headers: Headers | Record<string, string> | undefined, now: number = Date.now()): number | undefined {
  if (!headers) return undefined;
  const get = (name: string): string | null | undefined =>
    typeof (headers as Headers).get === 'function' ? (headers as Headers).get(name) : (headers as Record<string, string>)[name];
  const ms = get('retry-after-ms');
  if (ms != null && ms.trim() !== '' && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const value = get('retry-after');
  if (value == null || value.trim() === '') return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Math.max(0, Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Error `type`/`code` strings providers put in error bodies (also inside 200 streams). */
const CODE_BY_TYPE: Record<string, TwinErrorCode> = {
  overloaded_error: 'provider_overloaded',
  rate_limit_error: 'provider_rate_limited',
  rate_limit_exceeded: 'provider_rate_limited',
  RESOURCE_EXHAUSTED: 'provider_rate_limited',
  UNAVAILABLE: 'provider_overloaded',
  DEADLINE_EXCEEDED: 'provider_timeout',
  api_error: 'provider_unavailable',
  server_error: 'provider_unavailable',
  INTERNAL: 'provider_unavailable',
  timeout_error: 'provider_timeout',
  invalid_request_error: 'provider_invalid_request',
  INVALID_ARGUMENT: 'provider_invalid_request',
  not_found_error: 'provider_invalid_request',
  NOT_FOUND: 'provider_invalid_request',
  authentication_error: 'provider_auth',
  permission_error: 'provider_auth',
  PERMISSION_DENIED: 'provider_auth',
  UNAUTHENTICATED: 'provider_auth',
};

export function codeForStatus(status: number): TwinErrorCode {
  if (status === 401 || status === 403) return 'provider_auth';
  if (status === 408 || status === 504) return 'provider_timeout';
  if (status === 429) return 'provider_rate_limited';
  if (status === 503 || status === 529) return 'provider_overloaded';
  if (status >= 500) return 'provider_unavailable';
  if (status >= 400) return 'provider_invalid_request';
  return 'provider_error';
}

interface ErrorInfo {
  type?: string;
  code?: string;
  message?: string;
}

/** Finds `{type, code, message}` in the error body shapes of OpenAI, Anthropic, Gemini and Ollama. */
export function errorInfoFromBody(body: unknown): ErrorInfo {
  if (typeof body === 'string') return { message: body };
  if (typeof body !== 'object' || body === null) return {};
  const b = body as Record<string, unknown>;
  const inner = typeof b.error === 'object' && b.error !== null ? (b.error as Record<string, unknown>) : undefined;
  const src = inner ?? b;
  const str = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
  return {
    type: str(src.type) ?? str(src.status),
    code: str(src.code),
    message: str(src.message) ?? (typeof b.error === 'string' ? b.error : undefined),
  };
}

/** Google APIs put the wait in the body: `error.details[] { @type: ...RetryInfo, retryDelay: "30s" }`. */
function retryDelayFromBody(body: unknown): number | undefined {
  const details = (body as { error?: { details?: unknown } } | null | undefined)?.error?.details;
  if (!Array.isArray(details)) return undefined;
  for (const d of details) {
    const delay = (d as { retryDelay?: unknown } | null)?.retryDelay;
    const m = typeof delay === 'string' ? /^(\d+(?:\.\d+)?)s$/.exec(delay) : null;
    if (m) return Number(m[1]) * 1000;
  }
  return undefined;
}

export interface ProviderHttpErrorInput {
  provider: string;
  status?: number;
  headers?: Headers | Record<string, string>;
  body?: unknown;
  now?: number;
  cause?: unknown;
}

/** A typed error from an HTTP status and/or an error body (status may be absent for in-stream errors). */
export function providerHttpError(input: ProviderHttpErrorInput): TwinError {
  const info = errorInfoFromBody(input.body);
  let code: TwinErrorCode =
    (info.type !== undefined ? CODE_BY_TYPE[info.type] : undefined) ??
    (info.code !== undefined ? CODE_BY_TYPE[info.code] : undefined) ??
    (input.status !== undefined ? codeForStatus(input.status) : 'provider_error');
  // A 5xx status outranks a vague body type; a 429 or 529 keeps its specific meaning.
  if (input.status !== undefined && input.status >= 500 && code === 'provider_invalid_request') code = codeForStatus(input.status);
  // An exhausted quota is a 429 that no amount of waiting fixes.
  const quota = info.code === 'insufficient_quota' || info.type === 'insufficient_quota';
  const retryAfterMs = parseRetryAfter(input.headers, input.now) ?? retryDelayFromBody(input.body);
  const what = input.status !== undefined ? `HTTP ${input.status}` : 'an error event';
  const detail = info.message ? `: ${info.message}` : '';
  return new TwinError(code, `${input.provider} failed with ${what}${detail}`, {
    provider: input.provider,
    ...(input.status !== undefined ? { providerStatus: input.status } : {}),
    ...(info.type !== undefined ? { providerErrorType: info.type } : {}),
    ...(info.code !== undefined ? { providerErrorCode: info.code } : {}),
    ...(quota ? { retryable: false } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    cause: input.cause,
  });
}

function isAbortLike(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const name = (error as Error).name;
  const ctor = (error as { constructor?: { name?: string } }).constructor?.name;
  return name === 'AbortError' || ctor === 'APIUserAbortError';
}

/**
 * Maps anything thrown while talking to a provider: SDK `APIError`s (by `status`/`error`/`headers`),
 * SDK connection and timeout errors, fetch network failures, aborts, and TwinErrors (kept as-is).
 */
export function mapProviderError(provider: string, error: unknown, now?: number): TwinError {
  if (error instanceof TwinError) return error;
  if (isAbortLike(error)) return new TwinError('aborted', `The ${provider} request was aborted.`, { provider, cause: error });
  if (typeof error === 'object' && error !== null) {
    const e = error as { status?: unknown; headers?: unknown; error?: unknown; constructor?: { name?: string }; message?: string };
    const ctor = e.constructor?.name ?? '';
    if (ctor === 'APIConnectionTimeoutError' || (error as Error).name === 'TimeoutError') {
      return new TwinError('provider_timeout', `${provider} did not answer in time.`, { provider, cause: error });
    }
    if (ctor === 'APIConnectionError' || (error instanceof TypeError && /fetch|network|socket|terminated/i.test(error.message))) {
      return new TwinError('network_error', `Could not reach ${provider}: ${e.message ?? 'connection error'}`, { provider, cause: error });
    }
    if (typeof e.status === 'number' || e.error !== undefined) {
      return providerHttpError({
        provider,
        status: typeof e.status === 'number' ? e.status : undefined,
        headers: e.headers instanceof Headers ? e.headers : undefined,
        body: e.error,
        now,
        cause: error,
      });
    }
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && /^(ECONN|EPIPE|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|UND_ERR)/.test(code)) {
      return new TwinError('network_error', `Could not reach ${provider}: ${code}`, { provider, cause: error });
    }
  }
  const message = error instanceof Error ? error.message : String(error);
  return new TwinError('provider_error', `${provider} failed: ${message}`, { provider, cause: error });
}

/**
 * For failures while reading a response body that had already started: a network failure there
 * is a cut connection, i.e. a truncated stream (retryable), not an unreachable provider.
 */
export function bodyReadError(provider: string, error: unknown): TwinError {
  const mapped = mapProviderError(provider, error);
  if (mapped.code !== 'network_error') return mapped;
  return new TwinError('stream_truncated', `The ${provider} stream was cut off: ${mapped.message}`, { provider, cause: error });
}
