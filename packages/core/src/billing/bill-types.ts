import type { BillLines } from '../protocol/billing';
import type { Usage } from '../protocol/usage';
import type { Rational } from './rational';

/** What one stream consumed, as the calculator prices it (built by {@link meterStream}). */
export interface MeteredUsage {
  /** Token usage. A field that is `undefined` is unknown (never read as 0 silently: see the flags). */
  usage?: Pick<Usage, 'inputTokens' | 'cacheReadTokens' | 'cacheWriteTokens' | 'outputTokens' | 'reasoningTokens' | 'estimated'>;
  /** Wall time the stream was open, in milliseconds (integer). */
  durationMs: number;
  /** Bytes written to the client (integer). */
  bytes: number;
  /** SSE connections used (1 + reconnects). Default 1. */
  connections?: number;
}

/** Measured service levels for the SLA check. Unmeasured guarantees are not judged (never breached). */
export interface MeasuredSla {
  /** Measured uptime in percent, e.g. "99.2" or 99.2. */
  uptimePercent?: string | number;
  /** Measured latency in ms at the percentile the config declares. */
  latencyMs?: string | number;
  /** Measured bandwidth in MB/s (1 MB = 1,000,000 bytes). */
  bandwidthMBps?: string | number;
}

/** Everything besides the stream itself that the bill depends on. */
export interface BillingContext {
  /** The customer's tokens in the billing period BEFORE this usage (default 0). */
  periodTokensBefore?: number;
  sla?: MeasuredSla;
  /** The customer's tax jurisdiction ("DE", "CA-BC"). Without one, only "*" rates apply. */
  jurisdiction?: string;
  /** Issue the bill in another currency: every exact amount is multiplied by `rate` before rounding. */
  exchangeRate?: { to: string; rate: string };
}

/** Exact (unrounded) values of a bill, for callers that keep summing before they round. */
export interface ExactBill {
  readonly tokenCost: Rational;
  readonly discount: Rational;
  readonly streaming: Rational;
  readonly bandwidthPremium: Rational;
  readonly infrastructure: Rational;
  readonly subtotal: Rational;
  readonly slaPenalty: Rational;
  readonly taxes: Rational[];
  readonly total: Rational;
}

/** An itemised bill for one stream. */
export interface Bill {
  currency: string;
  /** Rounded lines; they sum exactly to `subtotal` and `total` (see `docs/billing.md`, "Rounding"). */
  lines: BillLines;
  exact: ExactBill;
  /** Tokens this usage adds to the period total (input incl. cache + output incl. reasoning). */
  billableTokens: number;
  /** The counts came from a local tokenizer, not the provider. */
  usageEstimated: boolean;
  /** Input or output tokens were unknown; the unknown part is not priced. */
  usageMissing: boolean;
  /** The price table was an unpriced model's (see `unpricedPricing`): token cost unknown, not 0. */
  unpriced?: boolean;
  exchangeRate?: { from: string; to: string; rate: string };
  pricingConfigId?: string;
  /** The context-size tier that priced the tokens (its `aboveInputTokens`), when the input was above one. */
  contextTier?: number;
  /** Index of the volume-discount tier (band) applied; absent below the first tier. */
  discountTier?: number;
}
