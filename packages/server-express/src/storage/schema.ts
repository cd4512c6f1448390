import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

// Tables are created in the connection's search_path (no schema qualifier), so a test run can put
// them in a schema of its own. No foreign keys: chunks and events arrive in write-behind batches
// that may land before the connection row, and an audit row must never be refused for that.

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** API keys, stored as SHA-256 hashes; the key itself is shown once, at creation. */
export const apiKeys = pgTable(
  'twin_api_keys',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    name: text('name').notNull(),
    /** Hex SHA-256 of the full key. */
    keyHash: text('key_hash').notNull(),
    /** The first characters of the key, to recognise it in a list. Not secret. */
    prefix: text('prefix').notNull(),
    /** `member`, `tenant-admin` (manages its tenant's keys) or `admin` (the whole server). */
    role: text('role').notNull().default('member'),
    createdAt: ts('created_at').notNull().defaultNow(),
    revokedAt: ts('revoked_at'),
    /** Past this instant the key answers 401. */
    expiresAt: ts('expires_at'),
    /** When set, the only models (`provider/model`, a bare model or an alias) / providers this key may use. */
    allowedModels: jsonb('allowed_models').$type<string[]>(),
    allowedProviders: jsonb('allowed_providers').$type<string[]>(),
    /** Rate limits of this key (null: none beyond its tenant's). */
    requestsPerMinute: integer('requests_per_minute'),
    tokensPerMinute: integer('tokens_per_minute'),
    /** The key this one replaced (rotation). */
    rotatedFrom: text('rotated_from'),
  },
  (t) => [uniqueIndex('twin_api_keys_hash_uq').on(t.keyHash), index('twin_api_keys_tenant_idx').on(t.tenantId)],
);

export const streamConnections = pgTable(
  'stream_connections',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    apiKeyId: text('api_key_id'),
    provider: text('provider').notNull(),
    model: text('model').notNull(),
    purpose: text('purpose'),
    status: text('status').notNull(),
    endReason: text('end_reason'),
    errorCode: text('error_code'),
    createdAt: ts('created_at').notNull(),
    firstByteAt: ts('first_byte_at'),
    endedAt: ts('ended_at'),
    lastSeq: integer('last_seq').notNull().default(0),
    metadata: jsonb('metadata').$type<Record<string, string>>(),
  },
  (t) => [
    index('stream_connections_tenant_created_idx').on(t.tenantId, t.createdAt),
    index('stream_connections_status_idx').on(t.status),
  ],
);

/** Final snapshot of a stream's buffer (replay window position, overflow), for debugging. */
export const streamBuffers = pgTable('stream_buffers', {
  streamId: text('stream_id').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  state: jsonb('state').$type<Record<string, unknown>>().notNull(),
  updatedAt: ts('updated_at').notNull(),
});

/**
 * The audit copy of every event that went over the wire, written in batches. One row is a segment
 * of consecutive events of one stream (`seq` .. `last_seq`; `data` is a JSON array of
 * `{ event, data }`), so a stream at 10 events/s costs about one row per second, not ten.
 */
export const streamChunks = pgTable(
  'stream_chunks',
  {
    streamId: text('stream_id').notNull(),
    seq: integer('seq').notNull(),
    lastSeq: integer('last_seq'),
    tenantId: text('tenant_id').notNull(),
    event: text('event').notNull(),
    data: text('data').notNull(),
    bytes: integer('bytes').notNull(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.streamId, t.seq] })],
);

export const streamMetrics = pgTable(
  'stream_metrics',
  {
    streamId: text('stream_id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    ttftMs: integer('ttft_ms'),
    durationMs: integer('duration_ms').notNull(),
    bytesSent: bigint('bytes_sent', { mode: 'number' }).notNull(),
    eventsSent: integer('events_sent').notNull(),
    metrics: jsonb('metrics').$type<Record<string, unknown>>().notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [index('stream_metrics_tenant_idx').on(t.tenantId, t.updatedAt)],
);

/**
 * One row per started stream (unique on stream id and on idempotency key). Opened when the stream
 * starts, finalized once when it ends (`UPDATE ... WHERE state = 'open'`). Money is `numeric`.
 */
export const streamBillingRecords = pgTable(
  'stream_billing_records',
  {
    id: text('id').primaryKey(),
    streamId: text('stream_id').notNull(),
    idempotencyKey: text('idempotency_key').notNull(),
    tenantId: text('tenant_id').notNull(),
    apiKeyId: text('api_key_id'),
    userId: text('user_id'),
    provider: text('provider').notNull(),
    model: text('model').notNull(),
    purpose: text('purpose'),
    /** The server instance serving the stream: a restart reconciles only its own open records. */
    instanceId: text('instance_id').notNull().default('default'),
    state: text('state').notNull(),
    endReason: text('end_reason'),
    startedAt: ts('started_at').notNull(),
    endedAt: ts('ended_at'),
    inputTokens: integer('input_tokens'),
    cacheReadTokens: integer('cache_read_tokens'),
    cacheWriteTokens: integer('cache_write_tokens'),
    outputTokens: integer('output_tokens'),
    reasoningTokens: integer('reasoning_tokens'),
    usageEstimated: boolean('usage_estimated').notNull().default(false),
    usageMissing: boolean('usage_missing').notNull().default(false),
    durationMs: integer('duration_ms').notNull().default(0),
    bytes: bigint('bytes', { mode: 'number' }).notNull().default(0),
    currency: text('currency').notNull(),
    exchangeRate: jsonb('exchange_rate').$type<{ from: string; to: string; rate: string }>(),
    pricingConfigId: text('pricing_config_id'),
    /** The model had no price (allowed by TWIN_UNPRICED_MODELS=allow): token cost unknown, not 0. */
    unpriced: boolean('unpriced').notNull().default(false),
    tokenCost: numeric('token_cost'),
    discount: numeric('discount'),
    streaming: numeric('streaming'),
    bandwidthPremium: numeric('bandwidth_premium'),
    infrastructure: numeric('infrastructure'),
    subtotal: numeric('subtotal'),
    slaPenalty: numeric('sla_penalty'),
    taxTotal: numeric('tax_total'),
    total: numeric('total'),
    /** The itemised lines (tax breakdown, SLA breaches) exactly as billed, amounts as strings. */
    lines: jsonb('lines').$type<Record<string, unknown>>(),
  },
  (t) => [
    uniqueIndex('stream_billing_records_stream_uq').on(t.streamId),
    uniqueIndex('stream_billing_records_idem_uq').on(t.idempotencyKey),
    index('stream_billing_records_tenant_started_idx').on(t.tenantId, t.startedAt),
    // Reports, budgets and volume tiers count a final record in the period its stream ended in.
    index('stream_billing_records_tenant_billed_idx')
      .on(t.tenantId, sql`coalesce(${t.endedAt}, ${t.startedAt})`)
      .where(sql`${t.state} = 'final'`),
    // Budgets of one end user or one API key sum that scope's final records of the period.
    index('stream_billing_records_user_billed_idx')
      .on(t.tenantId, t.userId, sql`coalesce(${t.endedAt}, ${t.startedAt})`)
      .where(sql`${t.state} = 'final' and ${t.userId} is not null`),
    index('stream_billing_records_key_billed_idx')
      .on(t.tenantId, t.apiKeyId, sql`coalesce(${t.endedAt}, ${t.startedAt})`)
      .where(sql`${t.state} = 'final'`),
    index('stream_billing_records_open_idx').on(t.instanceId).where(sql`${t.state} = 'open'`),
  ],
);

/** Pricing configs, versioned by `effective_from`; the newest effective one wins. */
export const streamBillingConfigs = pgTable(
  'stream_billing_configs',
  {
    id: text('id').primaryKey(),
    provider: text('provider').notNull(),
    model: text('model').notNull(),
    effectiveFrom: ts('effective_from').notNull(),
    config: jsonb('config').$type<Record<string, unknown>>().notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('stream_billing_configs_lookup_idx').on(t.provider, t.model, t.effectiveFrom)],
);

export const streamUsageReports = pgTable(
  'stream_usage_reports',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    periodFrom: ts('period_from').notNull(),
    periodTo: ts('period_to').notNull(),
    groupBy: text('group_by').notNull(),
    report: jsonb('report').$type<Record<string, unknown>>().notNull(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [index('stream_usage_reports_tenant_idx').on(t.tenantId, t.createdAt)],
);

/** Audit log of lifecycle events (start, resume, abort, finalize, reconcile...), written in batches. */
export const streamEvents = pgTable(
  'stream_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    streamId: text('stream_id'),
    tenantId: text('tenant_id'),
    type: text('type').notNull(),
    data: jsonb('data').$type<Record<string, unknown>>(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [index('stream_events_stream_idx').on(t.streamId), index('stream_events_created_idx').on(t.createdAt)],
);

export const streamAlerts = pgTable(
  'stream_alerts',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    kind: text('kind').notNull(),
    severity: text('severity').notNull(),
    message: text('message').notNull(),
    data: jsonb('data').$type<Record<string, unknown>>(),
    createdAt: ts('created_at').notNull(),
    acknowledgedAt: ts('acknowledged_at'),
  },
  (t) => [index('stream_alerts_tenant_idx').on(t.tenantId, t.createdAt)],
);

/**
 * Spending limits of a tenant, one per scope and period (see docs/server.md): the whole tenant
 * (`scope_type` `tenant`, `scope_id` ''), one of its API keys (`apiKey`, the key's id) or one of its
 * end users (`user`, the requests' `user`). Rows from before scopes are tenant budgets (the defaults).
 */
export const streamBudgets = pgTable(
  'stream_budgets',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    scopeType: text('scope_type').notNull().default('tenant'),
    scopeId: text('scope_id').notNull().default(''),
    period: text('period').notNull(),
    limitAmount: numeric('limit_amount').notNull(),
    currency: text('currency').notNull(),
    config: jsonb('config').$type<Record<string, unknown>>().notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [uniqueIndex('stream_budgets_scope_period_uq').on(t.tenantId, t.scopeType, t.scopeId, t.period)],
);

/** Rate limits of a tenant, over all its keys. */
export const tenantLimits = pgTable('twin_tenant_limits', {
  tenantId: text('tenant_id').primaryKey(),
  requestsPerMinute: integer('requests_per_minute'),
  tokensPerMinute: integer('tokens_per_minute'),
  updatedAt: ts('updated_at').notNull(),
});

/** Alert webhook deliveries: one row per (alert, endpoint), retried until delivered or given up. */
export const webhookDeliveries = pgTable(
  'twin_webhook_deliveries',
  {
    /** Sent as `Twin-Delivery-Id`: the same on every retry, so a receiver can drop duplicates. */
    id: text('id').primaryKey(),
    alertId: text('alert_id').notNull(),
    tenantId: text('tenant_id'),
    kind: text('kind').notNull(),
    url: text('url').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    /** `pending`, `delivered` or `failed` (gave up). */
    status: text('status').notNull(),
    attempts: integer('attempts').notNull().default(0),
    lastStatus: integer('last_status'),
    lastError: text('last_error'),
    createdAt: ts('created_at').notNull(),
    nextAttemptAt: ts('next_attempt_at'),
    deliveredAt: ts('delivered_at'),
  },
  (t) => [uniqueIndex('twin_webhook_deliveries_alert_url_uq').on(t.alertId, t.url), index('twin_webhook_deliveries_created_idx').on(t.createdAt)],
);

/**
 * A tenant's billing profile (core `billingProfileSchema`): currency and exchange rate, tax
 * jurisdiction and rates, SLA terms, volume-discount plan. Price lists hold prices only; a tenant
 * without a profile is billed with the price table's own taxes, SLA and discount (the tables written
 * before profiles existed keep billing as they did).
 */
export const billingProfiles = pgTable('billing_profiles', {
  tenantId: text('tenant_id').primaryKey(),
  profile: jsonb('profile').$type<Record<string, unknown>>().notNull(),
  updatedAt: ts('updated_at').notNull(),
});

/**
 * Issued invoices and credit notes: insert-only (an issued document is never updated; a correction
 * is a credit note referring to it, after which the period can be invoiced again (`-2`, `-3`...).
 */
export const invoices = pgTable(
  'invoices',
  {
    number: text('number').primaryKey(),
    kind: text('kind').notNull(),
    tenantId: text('tenant_id').notNull(),
    periodFrom: ts('period_from').notNull(),
    periodTo: ts('period_to').notNull(),
    issuedAt: ts('issued_at').notNull(),
    currency: text('currency').notNull(),
    total: numeric('total').notNull(),
    amountDue: numeric('amount_due').notNull(),
    refersTo: text('refers_to'),
    /** The whole document as issued (core `Invoice`), amounts as exact decimal strings. */
    document: jsonb('document').$type<Record<string, unknown>>().notNull(),
  },
  (t) => [
    index('invoices_tenant_idx').on(t.tenantId, t.periodFrom),
    uniqueIndex('invoices_credit_note_uq').on(t.refersTo).where(sql`${t.kind} = 'credit_note'`),
  ],
);

export const schema = {
  apiKeys,
  streamConnections,
  streamBuffers,
  streamChunks,
  streamMetrics,
  streamBillingRecords,
  streamBillingConfigs,
  streamUsageReports,
  streamEvents,
  streamAlerts,
  streamBudgets,
  tenantLimits,
  webhookDeliveries,
  billingProfiles,
  invoices,
};

/**
 * One row per server instance of a cluster: its lease, renewed by its heartbeat. A lease past
 * `expires_at` belongs to a dead instance; the one survivor whose `UPDATE` claims it (Postgres row
 * locks make the claim exactly-once) reconciles that instance's open billing records. Times are the
 * database's clock, so instances with skewed clocks agree.
 */
export const instanceLeases = pgTable(
  'twin_instance_leases',
  {
    instanceId: text('instance_id').primaryKey(),
    /** `live`, `draining` (SIGTERM: finishing its streams), `claimed` (a survivor is reconciling it), `reconciled`. */
    state: text('state').notNull(),
    startedAt: ts('started_at').notNull(),
    heartbeatAt: ts('heartbeat_at').notNull(),
    expiresAt: ts('expires_at').notNull(),
    claimedBy: text('claimed_by'),
    claimedAt: ts('claimed_at'),
    /** A claimer that dies mid-reconcile loses its claim at this instant; another survivor takes over. */
    claimExpiresAt: ts('claim_expires_at'),
    reconciledAt: ts('reconciled_at'),
    reconciledRecords: integer('reconciled_records'),
  },
  (t) => [index('twin_instance_leases_expiry_idx').on(t.expiresAt)],
);
