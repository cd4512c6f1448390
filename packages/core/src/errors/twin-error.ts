/**
 * Every stable error code Twin can produce. Codes are part of the public contract: clients branch on
 * them, so a code is never renamed or reused for a different meaning.
 */
export type TwinErrorCode =
  // Caller mistakes (HTTP 4xx).
  | 'invalid_request'
  | 'invalid_argument'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'conflict'
  | 'payload_too_large'
  | 'rate_limited'
  | 'budget_exceeded'
  | 'model_unpriced'
  | 'config_invalid'
  // Capacity (HTTP 503).
  | 'capacity_exceeded'
  // Upstream provider failures.
  | 'provider_error'
  | 'provider_auth'
  | 'provider_invalid_request'
  | 'provider_rate_limited'
  | 'provider_overloaded'
  | 'provider_timeout'
  | 'provider_unavailable'
  | 'content_filtered'
  | 'network_error'
  | 'circuit_open'
  // Stream lifecycle.
  | 'stream_truncated'
  | 'stream_stalled'
  | 'stream_timeout'
  | 'aborted'
  | 'slow_client'
  | 'buffer_overflow'
  | 'resume_unavailable'
  /** The cluster instance running the stream died; a survivor billed it (the event carries `cost`). */
  | 'instance_lost'
  // Payload decoding on the receiving side.
  | 'decode_failed'
  | 'decrypt_failed'
  | 'unknown_key'
  // Bugs and the unexpected.
  | 'internal';

/** Whether a request that failed with this code may succeed when sent again unchanged. */
const RETRYABLE_BY_DEFAULT: ReadonlySet<TwinErrorCode> = new Set<TwinErrorCode>([
  'rate_limited',
  'capacity_exceeded',
  'provider_rate_limited',
  'provider_overloaded',
  'provider_timeout',
  'provider_unavailable',
  'network_error',
  'circuit_open',
  'stream_truncated',
  'stream_stalled',
]);

const HTTP_STATUS: Partial<Record<TwinErrorCode, number>> = {
  invalid_request: 400,
  invalid_argument: 400,
  config_invalid: 400,
  unauthorized: 401,
  budget_exceeded: 402,
  model_unpriced: 422,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  rate_limited: 429,
  capacity_exceeded: 503,
  provider_auth: 502,
  provider_invalid_request: 400,
  provider_rate_limited: 429,
  provider_overloaded: 503,
  provider_unavailable: 503,
  provider_timeout: 504,
  circuit_open: 503,
};

/** The JSON shape of an error on the wire (docs/design.md "Wire protocol"): stable code, human message, retryable, provider. */
export interface TwinErrorPayload {
  code: TwinErrorCode;
  message: string;
  retryable: boolean;
  /** The provider involved, when the error came from (or concerns) one. */
  provider?: string;
  /** Milliseconds the caller should wait before retrying, when known (e.g. from `Retry-After`). */
  retryAfterMs?: number;
  /** The HTTP status the provider answered with, when the error came from its HTTP answer. */
  providerStatus?: number;
  /** The provider's own error type (`overloaded_error`, `server_error`, `RESOURCE_EXHAUSTED`), untranslated. */
  providerErrorType?: string;
  /** The provider's own error code (`rate_limit_exceeded`, `insufficient_quota`), untranslated. */
  providerErrorCode?: string;
}

export interface TwinErrorOptions {
  retryable?: boolean;
  provider?: string;
  retryAfterMs?: number;
  providerStatus?: number;
  providerErrorType?: string;
  providerErrorCode?: string;
  /** HTTP status to answer with; defaults from the code. */
  status?: number;
  /** Structured detail for programs (e.g. the zod issue path of an invalid field). Never secrets. */
  details?: unknown;
  cause?: unknown;
}

/**
 * The one error class Twin throws. `code` is stable, `message` is for people, `cause` keeps the
 * original error for debugging. Messages never contain secrets (API keys, encryption keys, tokens).
 */
export class TwinError extends Error {
  override readonly name = 'TwinError';
  readonly code: TwinErrorCode;
  readonly retryable: boolean;
  readonly provider: string | undefined;
  readonly retryAfterMs: number | undefined;
  /** See {@link TwinErrorPayload.providerStatus}. */
  readonly providerStatus: number | undefined;
  /** See {@link TwinErrorPayload.providerErrorType}. */
  readonly providerErrorType: string | undefined;
  /** See {@link TwinErrorPayload.providerErrorCode}. */
  readonly providerErrorCode: string | undefined;
  readonly status: number;
  readonly details: unknown;

  constructor(code: TwinErrorCode, message: string, options: TwinErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? RETRYABLE_BY_DEFAULT.has(code);
    this.provider = options.provider;
    this.retryAfterMs = options.retryAfterMs;
    this.providerStatus = options.providerStatus;
    this.providerErrorType = options.providerErrorType;
    this.providerErrorCode = options.providerErrorCode;
    this.status = options.status ?? HTTP_STATUS[code] ?? (code === 'internal' ? 500 : 502);
    this.details = options.details;
  }

  /** The wire form (docs/design.md "Wire protocol"). `cause` and `details` stay on the server. */
  toPayload(): TwinErrorPayload {
    const payload: TwinErrorPayload = { code: this.code, message: this.message, retryable: this.retryable };
    if (this.provider !== undefined) payload.provider = this.provider;
    if (this.retryAfterMs !== undefined) payload.retryAfterMs = this.retryAfterMs;
    if (this.providerStatus !== undefined) payload.providerStatus = this.providerStatus;
    if (this.providerErrorType !== undefined) payload.providerErrorType = this.providerErrorType;
    if (this.providerErrorCode !== undefined) payload.providerErrorCode = this.providerErrorCode;
    return payload;
  }

  /** Rebuilds an error received on the wire. */
  static fromPayload(payload: TwinErrorPayload): TwinError {
    return new TwinError(payload.code, payload.message, {
      retryable: payload.retryable,
      provider: payload.provider,
      retryAfterMs: payload.retryAfterMs,
      providerStatus: payload.providerStatus,
      providerErrorType: payload.providerErrorType,
      providerErrorCode: payload.providerErrorCode,
    });
  }
}

/** True for a {@link TwinError}, also across package copies (duck-typed on `name` and `code`). */
export function isTwinError(value: unknown): value is TwinError {
  return (
    value instanceof TwinError ||
    (typeof value === 'object' && value !== null && (value as { name?: unknown }).name === 'TwinError' &&
      typeof (value as { code?: unknown }).code === 'string')
  );
}

/** Wraps anything thrown into a TwinError, keeping the original as `cause`. */
export function toTwinError(value: unknown, fallbackCode: TwinErrorCode = 'internal'): TwinError {
  if (isTwinError(value)) return value;
  if (value instanceof Error && value.name === 'AbortError') {
    return new TwinError('aborted', 'The stream was aborted.', { cause: value });
  }
  const message = value instanceof Error ? value.message : 'An unexpected error occurred.';
  return new TwinError(fallbackCode, message, { cause: value });
}
