import type { CompatErrorInput } from './compat-error';

/** OpenAI's error body: `{ error: { message, type, param, code } }`. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string };
}

/**
 * A Twin error in OpenAI's shape. `code` is Twin's stable code (`budget_exceeded`, `rate_limited`,
 * `provider_overloaded`...); `type` is OpenAI's family for the status, which is what its SDKs and
 * most clients branch on (`invalid_request_error`, `insufficient_quota`, `rate_limit_error`,
 * `server_error`).
 */
export function openAIError({ status, param, payload }: CompatErrorInput): OpenAIErrorBody {
  return { error: { message: payload.message, type: openAIErrorType(status, payload.code), param, code: payload.code } };
}

function openAIErrorType(status: number, code: string): string {
  if (code === 'budget_exceeded') return 'insufficient_quota';
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status < 500) return 'invalid_request_error';
  return 'server_error';
}
