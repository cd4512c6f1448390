import { TwinError, type BillingEndReason, type StreamStatus, type TwinErrorPayload } from '@twin/core';

/** Why a stream was stopped from our side. */
export interface StopReason {
  endReason: BillingEndReason;
  status: StreamStatus;
  /** The error event the client gets (replaces the provider's generic `aborted`). */
  error: TwinErrorPayload;
}

/** The client's connection went away (and did not come back within the grace period). */
export const CLIENT_GONE_STOP: StopReason = {
  endReason: 'client_abort',
  status: 'aborted',
  error: { code: 'aborted', message: 'The client disconnected.', retryable: false },
};

/** The connection's queue passed its bound: the declared slow-client policy. */
export const SLOW_CLIENT_STOP: StopReason = {
  endReason: 'error',
  status: 'error',
  error: { code: 'slow_client', message: 'The client read too slowly; the stream was closed.', retryable: false },
};

/** The error a stream ends with when the server shuts down under it. */
export const SHUTDOWN_STOP: StopReason = {
  endReason: 'interrupted',
  status: 'interrupted',
  error: new TwinError('capacity_exceeded', 'The server is shutting down; retry shortly.').toPayload(),
};

/** The billing record's opening did not commit in time: no content may go out without it. */
export const STORAGE_STOP: StopReason = {
  endReason: 'error',
  status: 'error',
  error: { code: 'capacity_exceeded', message: "The server's database is not answering; retry shortly.", retryable: true },
};
