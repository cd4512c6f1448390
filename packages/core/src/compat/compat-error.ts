import { TwinError, isTwinError, toTwinError, type TwinErrorPayload } from '../errors/twin-error';

/** A Twin error ready for a compatible door: its HTTP status, its field (when a request field was wrong) and payload. */
export interface CompatErrorInput {
  status: number;
  /** The request field at fault (OpenAI's `param`), from a 400's `details.field`. */
  param: string | null;
  payload: TwinErrorPayload;
}

/** Reads a thrown value or an error event's payload into one shape (5xx internals never leak their message). */
export function compatErrorInput(error: unknown): CompatErrorInput {
  if (!isTwinError(error) && isPayload(error)) return { status: new TwinError(error.code, error.message).status, param: null, payload: error };
  const twin = toTwinError(error);
  const details = twin.details as { field?: unknown } | undefined;
  const payload = twin.status >= 500 && twin.code === 'internal' ? { ...twin.toPayload(), message: 'Internal server error.' } : twin.toPayload();
  return { status: twin.status, param: twin.status < 500 && typeof details?.field === 'string' ? details.field : null, payload };
}

function isPayload(value: unknown): value is TwinErrorPayload {
  return typeof value === 'object' && value !== null && typeof (value as TwinErrorPayload).code === 'string' && typeof (value as TwinErrorPayload).message === 'string';
}
