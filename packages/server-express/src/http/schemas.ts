import { z } from 'zod';
import { codecNameSchema, decimalStringSchema, endUserIdSchema, nameSchema, usageReportDimensionSchema } from '@twin/core';
import { STREAM_ID_PATTERN } from './stream-id';

const streamIdSchema = z.string().regex(STREAM_ID_PATTERN, 'a stream id: 1 to 128 of A-Z a-z 0-9 _ -');
/** `-1` (replay from the first event, id 0) or the sequence number of the last event received. */
const lastEventIdSchema = z.coerce.number().int().min(-1).max(Number.MAX_SAFE_INTEGER);

/**
 * `GET /api/stream` query. A quick request is `?prompt=...`; a full conversation goes in `messages`
 * (JSON) or, better, in the body of `POST /api/stream`. `streamId` (+ `Last-Event-ID`) resumes.
 */
export const streamQuerySchema = z
  .object({
    provider: nameSchema(64).optional(),
    model: nameSchema(256).optional(),
    prompt: z.string().min(1).max(100_000).optional(),
    system: z.string().max(100_000).optional(),
    /** JSON array of messages (same shape as the POST body's `messages`). */
    messages: z.string().max(1_000_000).optional(),
    maxTokens: z.coerce.number().int().positive().max(1_000_000).optional(),
    temperature: z.coerce.number().min(0).max(2).optional(),
    codec: z.union([codecNameSchema, z.literal('auto')]).optional(),
    purpose: nameSchema(64).optional(),
    /** The end user (the body's `user`): billed and budgeted per user. */
    user: endUserIdSchema.optional(),
    /** Resume this stream (with `Last-Event-ID`, or `lastEventId` here for clients that cannot set headers). */
    streamId: streamIdSchema.optional(),
    lastEventId: lastEventIdSchema.optional(),
    api_key: z.string().optional(),
  })
  .strict();

/** `POST /api/stream?streamId=&lastEventId=`: a resume by POST (the body is then ignored). */
export const postStreamQuerySchema = z
  .object({ streamId: streamIdSchema.optional(), lastEventId: lastEventIdSchema.optional(), api_key: z.string().optional() })
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
  provider: nameSchema(64).optional(),
  model: nameSchema(256).optional(),
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

/**
 * Whose spend a budget limits: the caller's whole tenant (the default), one of its API keys (by key
 * id, `key_…`) or one of its end users (the requests' `user`).
 */
export const budgetScopeSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('tenant') }).strict(),
  z.object({ type: z.literal('apiKey'), id: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'an API key id (key_…), never the key itself') }).strict(),
  z.object({ type: z.literal('user'), id: endUserIdSchema }).strict(),
]);

/** A spending limit for the caller's tenant, one of its keys or one of its end users. */
export const budgetInputSchema = z.object({
  scope: budgetScopeSchema.default({ type: 'tenant' }),
  period: z.enum(['day', 'month']),
  /** Exact decimal string in `currency`. */
  limit: decimalStringSchema.refine((s) => !s.startsWith('-'), 'must not be negative'),
  currency: currencyCode.default('USD'),
  /** Alert thresholds in percent of the limit. */
  alertAtPercent: z.array(z.number().positive().max(1_000)).max(10).default([80, 100]),
  /** What happens at 100%: only alert, or refuse new streams (402). */
  action: z.enum(['alert', 'block']).default('alert'),
});

/** The query of routes that take none: only `api_key` (for clients that cannot set headers). */
export const noQuerySchema = z.object({ api_key: z.string().optional() }).strict();
