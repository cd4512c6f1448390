import { currentKey } from './session-key';

/** One field the API refused, as a 400's `details.issues` lists it. */
export interface FieldProblem {
  field: string;
  message: string;
  received?: string;
  allowed?: string;
}

/** An error answer of the Twin API (`{ error: { code, message, details } }`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The field the API named (`details.field`), if any: the form shows the message beside it. */
    readonly field?: string,
    readonly issues: FieldProblem[] = [],
  ) {
    super(message);
  }

  /** Whether this error is about `field` (or a path inside it, such as `allowedModels.0`). */
  concerns(field: string): boolean {
    const about = (f: string | undefined) => f !== undefined && (f === field || f.startsWith(`${field}.`));
    return about(this.field) || this.issues.some((i) => about(i.field));
  }
}

function headersFor(init: RequestInit, key: string | undefined): HeadersInit {
  return { ...(key ? { Authorization: `Bearer ${key}` } : {}), ...(init.body ? { 'Content-Type': 'application/json' } : {}), ...init.headers };
}

async function failure(res: Response): Promise<ApiError> {
  let body: unknown;
  try {
    body = JSON.parse(await res.text());
  } catch {
    body = undefined;
  }
  const error = (body as { error?: { code?: string; message?: string; details?: { field?: unknown; issues?: unknown } } } | undefined)?.error;
  const field = typeof error?.details?.field === 'string' ? error.details.field : undefined;
  const issues = Array.isArray(error?.details?.issues) ? (error.details.issues as FieldProblem[]) : [];
  return new ApiError(res.status, error?.code ?? 'http_error', error?.message ?? `HTTP ${res.status}`, field, issues);
}

/** Calls the Twin API of this origin with the signed-in key (a header: keys stay out of URLs and logs). */
export async function api<T>(path: string, init: RequestInit = {}, key = currentKey()): Promise<T> {
  const res = await fetch(path, { ...init, headers: headersFor(init, key) });
  if (!res.ok) throw await failure(res);
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** A file the API serves (CSV, HTML), as text. */
export async function apiText(path: string, key = currentKey()): Promise<string> {
  const res = await fetch(path, { headers: headersFor({}, key) });
  if (!res.ok) throw await failure(res);
  return res.text();
}

/** The message to show for a failed call. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
