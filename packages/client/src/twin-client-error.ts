import type { TwinErrorCode } from '@twin/core';

/**
 * The error the client reports (in `snapshot.error` and in `error` events).
 *
 * It has the same shape as `@twin/core`'s `TwinError` (stable `code`, `message`, `retryable`,
 * `provider`, `status`, `cause`) and the same `name`, so core's `isTwinError()` recognises it. It is
 * a separate small class because importing anything from `@twin/core` at runtime would pull zod into
 * every browser bundle; the client imports only core's types.
 */
export class TwinClientError extends Error {
  override readonly name = 'TwinError';
  /** Stable error code (see `TwinErrorCode` in `@twin/core`). */
  readonly code: TwinErrorCode;
  /** Whether sending the same request again may succeed. */
  readonly retryable: boolean;
  /** The provider involved, when the server named one. */
  readonly provider: string | undefined;
  /** HTTP status of the failed response, when the error came from one. */
  readonly status: number | undefined;
  /** Milliseconds the server asked us to wait before retrying. */
  readonly retryAfterMs: number | undefined;

  constructor(
    code: TwinErrorCode,
    message: string,
    options: { retryable?: boolean; provider?: string; status?: number; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.provider = options.provider;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/**
 * Reads a value thrown by app code (`decode`, a custom `fetch`; possibly a core `TwinError`) as a
 * client error that ends the stream (not retryable), keeping the original as `cause`.
 */
export function toClientError(value: unknown, fallback: TwinErrorCode): TwinClientError {
  if (value instanceof TwinClientError) return value;
  const v = value as { name?: unknown; code?: unknown; message?: unknown } | null;
  if (v && typeof v === 'object' && v.name === 'TwinError' && typeof v.code === 'string') {
    return new TwinClientError(v.code as TwinErrorCode, String(v.message), { cause: value });
  }
  return new TwinClientError(fallback, value instanceof Error ? value.message : String(value), { cause: value });
}
