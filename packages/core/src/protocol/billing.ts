import { z } from 'zod';

/**
 * Billing shapes (docs/design.md "Money"). Every amount, price and rate is an exact decimal STRING such as
 * "0.0015": JSON numbers are binary floats and would lose cents. Percentages are written as percent
 * ("10" means 10%).
 */
export const decimalStringSchema = z
  .string()
  .regex(/^-?(?:0|[1-9]\d*)(?:\.\d+)?$/, 'must be a decimal string such as "0.0015" (no exponent, no float)');
export type DecimalString = z.infer<typeof decimalStringSchema>;
const nonNegativeDecimal = decimalStringSchema.refine((s) => !s.startsWith('-'), 'must not be negative');
/** A percentage between 0 and 100 inclusive, as a decimal string. */
const percentSchema = nonNegativeDecimal.refine((s) => {
  const [int = '', frac = ''] = s.split('.');
  return int.length < 3 || (int === '100' && /^0*$/.test(frac));
}, 'must be a percentage between 0 and 100');

/** `half-up`: ties away from zero (default). `half-even`: ties to even. `down`: toward zero. `up`: away from zero. */
export const roundingModeSchema = z.enum(['half-up', 'half-even', 'down', 'up']);
export type RoundingMode = z.infer<typeof roundingModeSchema>;

export const volumeTierSchema = z.object({
  /** Period-to-date tokens at which this tier starts. */
  thresholdTokens: z.number().int().nonnegative(),
  /** Discount in percent (0–100). */
  ratePercent: percentSchema,
});

/**
 * Pricing for one provider + model (`model: "*"` matches any model of the provider). Versioned, with an
 * effective date. Units are pinned (docs/design.md "Money"): prices per 1,000 tokens, per second, per MB
 * (1,000,000 bytes), per KB (1,000 bytes), per hour; percentages in percent.
 */
export const streamBillingConfigSchema = z.object({
  schemaVersion: z.literal(1).default(1),
  id: z.string().optional(),
  /** Revision of this provider + model's table; bump it when prices change (records keep the id used). */
  version: z.number().int().positive().default(1),
  provider: z.string().min(1),
  model: z.string().min(1),
  /** ISO date from which this config applies; the newest effective config wins. */
  effectiveFrom: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO-8601 date'),
  currency: z.string().regex(/^[A-Z]{3}$/).default('USD'),
  /**
   * No token price is known for this model (the operator allows unpriced models): its token prices
   * are 0 and every bill made with it is flagged `unpriced`, so the zero is never silent.
   */
  unpriced: z.boolean().optional(),
  /**
   * How the bill's amounts are rounded, once, at the end. `minorUnits` is the number of decimal
   * places (2 = cents). A single stream usually costs a fraction of a cent, so per-stream tables
   * often bill to 6 places and invoices round their exact sums to the currency's 2.
   */
  rounding: z
    .object({ mode: roundingModeSchema.default('half-up'), minorUnits: z.number().int().min(0).max(12).default(2) })
    .default({ mode: 'half-up', minorUnits: 2 }),
  tokens: z.object({
    inputPer1K: nonNegativeDecimal,
    cachedInputReadPer1K: nonNegativeDecimal.optional(),
    cachedInputWritePer1K: nonNegativeDecimal.optional(),
    outputPer1K: nonNegativeDecimal,
    /** Defaults to `outputPer1K`. */
    reasoningPer1K: nonNegativeDecimal.optional(),
    /**
     * Context-size tiers, as providers price long prompts (Gemini, Claude long context): when this
     * stream's input tokens (cache reads and writes included) are ABOVE `aboveInputTokens`, the
     * highest such tier's prices price the whole stream's tokens. Prices a tier leaves out default as
     * the base prices do (cached prices to the tier's input price, reasoning to its output price).
     */
    contextTiers: z
      .array(
        z.object({
          aboveInputTokens: z.number().int().nonnegative(),
          inputPer1K: nonNegativeDecimal,
          cachedInputReadPer1K: nonNegativeDecimal.optional(),
          cachedInputWritePer1K: nonNegativeDecimal.optional(),
          outputPer1K: nonNegativeDecimal,
          reasoningPer1K: nonNegativeDecimal.optional(),
        }),
      )
      .refine((t) => t.every((tier, i) => i === 0 || tier.aboveInputTokens > t[i - 1]!.aboveInputTokens), 'context tiers must have strictly increasing aboveInputTokens')
      .optional(),
  }),
  streaming: z.object({ perSecond: nonNegativeDecimal, perMB: nonNegativeDecimal }),
  bandwidthPremium: z.object({ thresholdKB: nonNegativeDecimal, perKB: nonNegativeDecimal }).optional(),
  infrastructure: z.object({ perConnection: nonNegativeDecimal, perHour: nonNegativeDecimal }),
  /**
   * Discount tiers on the customer's period-to-date tokens (docs/design.md "Money" step 2). `volume`: the tier
   * reached by the period total including this usage discounts all of this usage. `graduated`: each
   * token gets the rate of the band its position in the period falls in (the tier starts with the
   * token after `thresholdTokens`).
   */
  volumeDiscount: z
    .object({
      mode: z.enum(['volume', 'graduated']),
      tiers: z
        .array(volumeTierSchema)
        .refine((t) => t.every((tier, i) => i === 0 || tier.thresholdTokens > t[i - 1]!.thresholdTokens), 'tiers must have strictly increasing thresholds'),
    })
    .optional(),
  /**
   * Service guarantees. A guarantee is breached when measured uptime < `minPercent`, measured latency
   * at `percentile` > `maxMs`, or measured bandwidth < `minMBps`; met exactly is not breached. The
   * breached penalties add up, capped at `maxPenaltyPercent`, and apply to the subtotal.
   */
  sla: z
    .object({
      uptime: z.object({ minPercent: percentSchema, penaltyPercent: percentSchema }).optional(),
      latency: z
        .object({ maxMs: z.number().int().nonnegative(), percentile: z.enum(['p50', 'p90', 'p95', 'p99']), penaltyPercent: percentSchema })
        .optional(),
      bandwidth: z.object({ minMBps: nonNegativeDecimal, penaltyPercent: percentSchema }).optional(),
      maxPenaltyPercent: percentSchema,
    })
    .optional(),
  /**
   * Tax rates. A rate applies when its `jurisdiction` equals the customer's, is its parent region
   * ("CA" applies to "CA-BC"), or is "*". Rates are not compounded. A `reverseCharge` rate is
   * recorded with amount 0: the customer self-assesses it.
   */
  taxes: z
    .array(z.object({ jurisdiction: z.string().min(1), name: z.string(), ratePercent: percentSchema, reverseCharge: z.boolean().default(false) }))
    .default([]),
});
export type StreamBillingConfig = z.infer<typeof streamBillingConfigSchema>;
export type StreamBillingConfigInput = z.input<typeof streamBillingConfigSchema>;

/** How a stream ended, as billing sees it. */
export const billingEndReasonSchema = z.enum(['complete', 'error', 'client_abort', 'budget_stop', 'interrupted', 'timeout']);
export type BillingEndReason = z.infer<typeof billingEndReasonSchema>;

export const billLinesSchema = z.object({
  tokenCost: decimalStringSchema,
  discount: decimalStringSchema,
  streaming: decimalStringSchema,
  bandwidthPremium: decimalStringSchema,
  infrastructure: decimalStringSchema,
  subtotal: decimalStringSchema,
  slaPenalty: decimalStringSchema,
  /** Which guarantees were breached. */
  slaBreaches: z.array(z.enum(['uptime', 'latency', 'bandwidth'])),
  taxes: z.array(
    z.object({
      jurisdiction: z.string(),
      name: z.string(),
      ratePercent: decimalStringSchema,
      amount: decimalStringSchema,
      /** The customer self-assesses this tax; `amount` is 0. */
      reverseCharge: z.boolean().optional(),
    }),
  ),
  total: decimalStringSchema,
  /** Sum of the breached guarantees' penalty percentages after the cap. */
  slaPenaltyPercent: decimalStringSchema.optional(),
  /** Discount rate applied to the token cost, in percent (the token-weighted mean under graduated tiers). */
  discountPercent: decimalStringSchema.optional(),
});
export type BillLines = z.infer<typeof billLinesSchema>;

/** The one billing record every started stream gets. Opened at start, finalized at the end. */
export const streamBillingRecordSchema = z.object({
  id: z.string(),
  streamId: z.string(),
  /** One per stream; finalizing twice with the same key changes nothing. */
  idempotencyKey: z.string(),
  tenantId: z.string(),
  apiKeyId: z.string().optional(),
  userId: z.string().optional(),
  provider: z.string(),
  model: z.string(),
  purpose: z.string().optional(),
  state: z.enum(['open', 'final']),
  endReason: billingEndReasonSchema.optional(),
  startedAt: z.string(),
  endedAt: z.string().optional(),
  inputTokens: z.number().int().nonnegative().optional(),
  cacheReadTokens: z.number().int().nonnegative().optional(),
  cacheWriteTokens: z.number().int().nonnegative().optional(),
  outputTokens: z.number().int().nonnegative().optional(),
  reasoningTokens: z.number().int().nonnegative().optional(),
  usageEstimated: z.boolean(),
  usageMissing: z.boolean(),
  durationMs: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  /** SSE connections the stream was served over (1 + reconnects); infrastructure is charged per connection. */
  connections: z.number().int().positive().optional(),
  currency: z.string(),
  /** Set when the bill was issued in another currency than the price table's. */
  exchangeRate: z.object({ from: z.string(), to: z.string(), rate: decimalStringSchema }).optional(),
  pricingConfigId: z.string().optional(),
  /** The model had no price (allowed by the operator's policy): the token cost is unknown, not 0. */
  unpriced: z.boolean().optional(),
  lines: billLinesSchema.optional(),
});
export type StreamBillingRecord = z.infer<typeof streamBillingRecordSchema>;

export const usageReportDimensionSchema = z.enum(['provider', 'model', 'purpose', 'user', 'apiKey']);
export type UsageReportDimension = z.infer<typeof usageReportDimensionSchema>;

const reportTotalsSchema = z.object({
  count: z.number().int().nonnegative(),
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  cacheReadTokens: z.number().int().nonnegative(),
  cacheWriteTokens: z.number().int().nonnegative(),
  reasoningTokens: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  durationMs: z.number().int().nonnegative(),
  /** How many of the records had tokenizer-estimated usage / unknown usage. */
  usageEstimated: z.number().int().nonnegative().optional(),
  usageMissing: z.number().int().nonnegative().optional(),
  /** How many of the records were on an unpriced model (their token cost is unknown, not 0). */
  unpriced: z.number().int().nonnegative().optional(),
  /** Sum of each bill line, exact decimal strings. */
  cost: z.record(z.string(), decimalStringSchema),
});

/** Aggregated billing over a period, grouped by any combination of dimensions. */
export const streamUsageReportSchema = z.object({
  from: z.string(),
  to: z.string(),
  currency: z.string(),
  groupBy: z.array(usageReportDimensionSchema),
  groups: z.array(reportTotalsSchema.extend({ key: z.record(z.string(), z.string()) })),
  totals: reportTotalsSchema,
  /** This period against the previous one of equal length: change in percent per measure (measures that were 0 before are left out). */
  trend: z.record(z.string(), decimalStringSchema).optional(),
  /** Totals projected to the end of the period at the rate so far. */
  projection: z.record(z.string(), decimalStringSchema).optional(),
});
export type StreamUsageReport = z.infer<typeof streamUsageReportSchema>;
