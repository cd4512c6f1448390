import type { CostReceipt, FinishReason, Usage } from '@twin/core';
import type { TwinClientError } from './twin-client-error';

/**
 * Where a stream is: `idle` (nothing started) → `connecting` → `streaming` ⇄ `reconnecting` →
 * `done` | `error` | `aborted`.
 */
export type ClientStreamStatus = 'idle' | 'connecting' | 'streaming' | 'reconnecting' | 'done' | 'error' | 'aborted';

/** One tool call as received so far. */
export interface ToolCallState {
  id: string;
  index: number;
  name: string;
  /** The arguments JSON text received so far. */
  argsText: string;
  /** Parsed arguments, once the call is done. */
  args?: unknown;
  done: boolean;
}

/** Live measurements, as this client sees them. Times are `Date.now()` milliseconds. */
export interface StreamClientMetrics {
  startedAt?: number;
  firstTokenAt?: number;
  endedAt?: number;
  /** Time to first token (first text, reasoning or tool content), in ms. */
  ttftMs?: number;
  /**
   * Output tokens: an estimate (about 4 characters per token) while streaming, replaced by the
   * provider's count when the `complete` event reports it (`tokensEstimated` tells which).
   */
  outputTokens: number;
  tokensEstimated: boolean;
  /** Output tokens per second since the first token. */
  tokensPerSecond?: number;
  /** Connections lost and resumed during this stream. */
  reconnects: number;
  /** Content events applied. */
  chunks: number;
}

/** Everything a UI needs about one stream. Immutable: each change makes a new object. */
export interface StreamSnapshot {
  status: ClientStreamStatus;
  streamId?: string;
  provider?: string;
  model?: string;
  /** True when the server says the answer comes from its offline simulated provider (no real model). */
  simulated?: boolean;
  /** The answer text so far. */
  text: string;
  /** Reasoning text so far (empty when the model sent none). */
  reasoning: string;
  toolCalls: readonly ToolCallState[];
  /** Usage, once the server reported it (unknown fields stay `undefined`, never 0). */
  usage?: Omit<Usage, 'raw'>;
  /** The cost receipt of a completed stream: exact decimal strings. */
  cost?: CostReceipt;
  finishReason?: FinishReason;
  /** Set in status `error`, and while `reconnecting` (why the connection was lost). */
  error?: TwinClientError;
  /** Seq of the last event applied (-1 before any). */
  lastSeq: number;
  /** Current reconnect attempt while `reconnecting`, else 0. */
  reconnectAttempt: number;
  metrics: StreamClientMetrics;
}

/** The snapshot before anything started. One shared frozen object, so it is also a stable SSR snapshot. */
export const IDLE_SNAPSHOT: StreamSnapshot = Object.freeze({
  status: 'idle',
  text: '',
  reasoning: '',
  toolCalls: [],
  lastSeq: -1,
  reconnectAttempt: 0,
  metrics: { outputTokens: 0, tokensEstimated: true, reconnects: 0, chunks: 0 },
}) as StreamSnapshot;

/** True while a stream is in flight (a request is open or about to be). */
export function isActive(status: ClientStreamStatus): boolean {
  return status === 'connecting' || status === 'streaming' || status === 'reconnecting';
}
