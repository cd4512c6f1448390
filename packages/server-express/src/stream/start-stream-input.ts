import type { Provider, ProviderRequest } from '@twin/core';
import type { TransportEncoding } from '../http/negotiate-encoding';
import type { BudgetState } from './budget-state';
import type { SealingFactory } from './connection-sealing';
import type { SealingSpec } from './live-stream-deps';
import type { WireFormat } from './wire-format';

// What the request path hands the hub to start a stream, apart from the hub that runs it.

/** A request to start a stream, already validated. */
export interface StartStreamInput {
  /** Stream id (default: a fresh random one). */
  id?: string;
  provider: Provider;
  model: string;
  request: ProviderRequest;
  purpose?: string;
  metadata?: Record<string, string>;
  /** The end user the stream is for (the request's `user`), stored on the billing record. */
  userId?: string;
  /** The budgets that apply, as the guard read them (the stream judges its running cost against them). */
  budgets?: readonly BudgetState[];
  encoding: TransportEncoding;
  /** Per-connection payload sealing (codec / cipher): called for the first connection and every resume. */
  sealing?: SealingFactory;
  /**
   * The wire format of this first connection (default: Twin's SSE). A resume speaks the format of
   * the door it comes through (`resume`'s own `format`).
   */
  format?: WireFormat;
  /** What the client asked for (cluster mode: another instance seals its resume the same way). */
  sealingSpec?: SealingSpec;
  /** The stream is encrypted (its cluster log entries are encrypted at rest). */
  encrypted?: boolean;
}
