import type { ChunkContent, CompleteEventData, CostReceipt, StartEventData, StreamState, Usage } from '@twin/core';
import type { TwinClientError } from './twin-client-error';

/**
 * What the client's async iterable yields: the server's events, already decoded (sealed chunks
 * opened), de-duplicated across reconnects, plus the connection's own lifecycle (`open`,
 * `reconnecting`). Every stream ends with exactly one `complete` or `error`, unless it was aborted.
 */
export type ClientStreamEvent =
  | ClientOpenEvent
  | ClientReconnectingEvent
  | ClientStartEvent
  | ClientChunkEvent
  | ClientResyncEvent
  | ClientCompleteEvent
  | ClientErrorEvent;

/** A connection answered 2xx and its body is being read. */
export interface ClientOpenEvent {
  type: 'open';
  /** True when this connection resumes a stream (`Last-Event-ID` was sent). */
  resumed: boolean;
}

/** The connection was lost; the client waits `delayMs` and tries again. */
export interface ClientReconnectingEvent {
  type: 'reconnecting';
  /** 1-based attempt number since the last progress. */
  attempt: number;
  delayMs: number;
  /** Why the connection was lost. */
  error: TwinClientError;
}

/** The stream started (seq 0): its id, provider and model. */
export interface ClientStartEvent {
  type: 'start';
  seq: number;
  data: StartEventData;
}

/** New content, in clear (a sealed chunk has been opened). */
export interface ClientChunkEvent {
  type: 'chunk';
  seq: number;
  content: ChunkContent;
}

/** The full state so far; it replaces everything received before. */
export interface ClientResyncEvent {
  type: 'resync';
  seq: number;
  state: StreamState;
}

/** The stream finished: finish reason, usage, cost receipt. */
export interface ClientCompleteEvent {
  type: 'complete';
  seq: number;
  data: CompleteEventData;
}

/** The stream failed: the server's error event, an HTTP error, a bad frame, or reconnects exhausted. */
export interface ClientErrorEvent {
  type: 'error';
  /** The server's seq for a server error event; absent for errors the client detected. */
  seq?: number;
  error: TwinClientError;
  /** Usage up to the failure, when the server reported it. */
  usage?: Omit<Usage, 'raw'>;
  /** What the stream was billed, when the server billed it as it failed (`instance_lost`). */
  cost?: CostReceipt;
}
