import { z } from 'zod';
import { codecNameSchema, decimalStringSchema, usageReportDimensionSchema } from '@twin/core';

/**
 * `GET /api/stream` query. A quick request is `?prompt=...`; a full conversation goes in `messages`
 * (JSON) or, better, in the body of `POST /api/stream`. `streamId` (+ `Last-Event-ID`) resumes.
 */
export const streamQuerySchema = z
  .object({
    provider: z.string().min(1).max(64).optional(),
    model: z.string().min(1).max(256).optional(),
    prompt: z.string().min(1).max(100_000).optional(),
    system: z.string().max(100_000).optional(),
    /** JSON array of messages (same shape as the POST body's `messages`). */
    messages: z.string().max(1_000_000).optional(),
    maxTokens: z.coerce.number().int().positive().max(1_000_000).optional(),
    temperature: z.coerce.number().min(0).max(2).optional(),
    codec: z.union([codecNameSchema, z.literal('auto')]).optional(),
    purpose: z.string().min(1).max(64).optional(),
    /** Resume this stream (with `Last-Event-ID`, or `lastEventId` here for clients that cannot set headers). */
    streamId: z.string().min(1).max(128).optional(),
    lastEventId: z.coerce.number().int().min(-1).optional(),
    api_key: z.string().optional(),
  })
  .strict();

/** `GET /api/stream/:id/metrics?period=`: the live window the throughput figures cover. */
export const metricsQuerySchema = z.object({
  period: z.enum(['1m', '5m', '15m', '1h', '24h', 'all']).default('all'),
  api_key: z.string().optional(),
});

export const PERIOD_MS: Record<string, number> = { '1m': 60_000, '5m': 300_000, '15m': 900_000, '1h': 3_600_000, '24h': 86_400_000 };

const isoDate = z.iso.datetime({ offset: true }).or(z.iso.date());
const currencyCode = z.string().regex(/^[A-Z]{3}$/, 'must be a 3-letter currency code in upper case, such as USD');

export const billingRecordsQuerySchema = z.object({
  from: isoDate.optional(),
  to: isoDate.optional(),
  before: isoDate.optional(),
  provider: z.string().max(64).optional(),
  model: z.string().max(256).optional(),
  state: z.enum(['open', 'final']).optional(),
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
  api_key: z.string().optional(),
});

export const billingReportQuerySchema = z.object({
  from: isoDate.optional(),
  to: isoDate.optional(),
  /** Comma-separated dimensions: provider, model, purpose, user, apiKey. */
  groupBy: z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (!s) return [] as z.infer<typeof usageReportDimensionSchema>[];
      const parts = s.split(',').map((p) => p.trim()).filter(Boolean);
      const out: z.infer<typeof usageReportDimensionSchema>[] = [];
      for (const p of parts) {
        const r = usageReportDimensionSchema.safeParse(p);
        if (!r.success) {
          ctx.addIssue({ code: 'custom', message: `unknown dimension "${p}" (provider, model, purpose, user, apiKey)` });
          return z.NEVER;
        }
        out.push(r.data);
      }
      return out;
    }),
  /**
   * Report only records in this currency (ISO 4217, upper case). Without it the report is in the
   * one currency of the records; records in several currencies are refused (400), never added.
   */
  currency: currencyCode.optional().describe('Report only records in this currency; without it, the one currency of the records (400 when they span several).'),
  api_key: z.string().optional(),
});

/** A spending limit for the caller's tenant. */
export const budgetInputSchema = z.object({
  period: z.enum(['day', 'month']),
  /** Exact decimal string in `currency`. */
  limit: decimalStringSchema.refine((s) => !s.startsWith('-'), 'must not be negative'),
  currency: currencyCode.default('USD'),
  /** Alert thresholds in percent of the limit. */
  alertAtPercent: z.array(z.number().positive().max(1_000)).max(10).default([80, 100]),
  /** What happens at 100%: only alert, or refuse new streams (402). */
  action: z.enum(['alert', 'block']).default('alert'),
});
