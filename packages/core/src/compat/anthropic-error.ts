import type { CompatErrorInput } from './compat-error';

/** Anthropic's error body: `{ type: 'error', error: { type, message } }`. */
export interface AnthropicErrorBody {
  type: 'error';
  error: { type: string; message: string };
}

/** A Twin error in Anthropic's shape, with Anthropic's error type for the status (402 is its `billing_error`). */
export function anthropicError({ status, payload }: CompatErrorInput): AnthropicErrorBody {
  return { type: 'error', error: { type: anthropicErrorType(status, payload.code), message: payload.message } };
}

function anthropicErrorType(status: number, code: string): string {
  if (code === 'capacity_exceeded' || code === 'provider_overloaded') return 'overloaded_error';
  if (code === 'provider_timeout' || code === 'stream_timeout') return 'timeout_error';
  switch (status) {
    case 400:
      return 'invalid_request_error';
    case 401:
      return 'authentication_error';
    case 402:
      return 'billing_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    default:
      return status < 500 ? 'invalid_request_error' : 'api_error';
  }
}
