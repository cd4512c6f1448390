import { and, asc, desc, eq, gte, lt, sql } from 'drizzle-orm';
import { safeParseJSON, type BillLines, type BillingEndReason, type StreamBillingConfig, type StreamBillingRecord } from '@twin/core';
import { createBatchWriter, type BatchWriter } from './batch-writer';
import { createGroupCommit } from './group-commit';
import { billedAt } from './usage-report';
import type { TwinDatabase } from './open-database';
import {
  apiKeys,
  streamAlerts,
  streamBillingConfigs,
  streamBillingRecords,
  streamBudgets,
  streamBuffers,
  streamChunks,
  streamConnections,
  streamEvents,
  streamMetrics,
  streamUsageReports,
} from './schema';

export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type ConnectionRow = typeof streamConnections.$inferInsert;
export type ChunkRow = typeof streamChunks.$inferInsert;
export type EventRow = typeof streamEvents.$inferInsert;
export type MetricsRow = typeof streamMetrics.$inferInsert;
export type AlertRow = typeof streamAlerts.$inferInsert;
export type BudgetRow = typeof streamBudgets.$inferSelect;

/** What is known when a stream starts: enough to open its one billing record. */
export interface OpenBillingRecord {
  id: string;
  streamId: string;
  tenantId: string;
  apiKeyId?: string;
  userId?: string;
  provider: string;
  model: string;
  purpose?: string;
  currency: string;
  startedAt: Date;
}

/** Rows an instance opens carry its id (see {@link TwinStoreOptions.instanceId}). */

/** What is known when a stream ends. */
export interface FinalBilling {
  endReason: BillingEndReason;
  endedAt: Date;
  inputTokens?: number;
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
  outputTokens?: number;
  reasoningTokens?: number;
  usageEstimated: boolean;
  usageMissing: boolean;
  durationMs: number;
  bytes: number;
  currency: string;
  pricingConfigId?: string;
  lines?: BillLines;
  provider?: string;
  model?: string;
}

/** What {@link TwinStore.endStream} writes. */
export interface StreamEnding {
  streamId: string;
  tenantId: string;
  bill: FinalBilling;
  connection: ConnectionRow;
  metrics: MetricsRow;
  buffer: Record<string, unknown>;
}

/** Filters of {@link TwinStore.listBillingRecords}. */
export interface BillingRecordQuery {
  from?: Date;
  to?: Date;
  provider?: string;
  model?: string;
  state?: 'open' | 'final';
  limit?: number;
  /** Records started strictly before this time (keyset pagination, newest first). */
  before?: Date;
}


function toRecord(row: typeof streamBillingRecords.$inferSelect): StreamBillingRecord {
  const record: StreamBillingRecord = {
    id: row.id,
    streamId: row.streamId,
    idempotencyKey: row.idempotencyKey,
    tenantId: row.tenantId,
    provider: row.provider,
    model: row.model,
    state: row.state === 'final' ? 'final' : 'open',
    startedAt: row.startedAt.toISOString(),
    usageEstimated: row.usageEstimated,
    usageMissing: row.usageMissing,
    durationMs: row.durationMs,
    bytes: row.bytes,
    currency: row.currency,
  };
  if (row.apiKeyId) record.apiKeyId = row.apiKeyId;
  if (row.userId) record.userId = row.userId;
  if (row.purpose) record.purpose = row.purpose;
  if (row.endReason) record.endReason = row.endReason as BillingEndReason;
  if (row.endedAt) record.endedAt = row.endedAt.toISOString();
  if (row.inputTokens !== null) record.inputTokens = row.inputTokens;
  if (row.cacheReadTokens !== null) record.cacheReadTokens = row.cacheReadTokens;
  if (row.cacheWriteTokens !== null) record.cacheWriteTokens = row.cacheWriteTokens;
  if (row.outputTokens !== null) record.outputTokens = row.outputTokens;
  if (row.reasoningTokens !== null) record.reasoningTokens = row.reasoningTokens;
  if (row.exchangeRate) record.exchangeRate = row.exchangeRate;
  if (row.pricingConfigId) record.pricingConfigId = row.pricingConfigId;
  if (row.lines) record.lines = row.lines as unknown as BillLines;
  return record;
}

// Backslashes and double quotes, escaped in one pass (audit segments are JSON: quotes everywhere).
const ARRAY_ELEMENT_ESCAPES = /["\\]/g;

/**
 * A Postgres array literal (`{"a","b"}`), passed as ONE text parameter: both drivers send it as is,
 * and the `::type[]` cast in the statement parses it. Every element is quoted and escaped; `null`
 * and `undefined` become SQL NULL.
 */
export function pgArray(values: ReadonlyArray<string | number | null | undefined>): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ',';
    const v = values[i];
    if (v === null || v === undefined) out += 'NULL';
    else out += typeof v === 'number' ? String(v) : '"' + v.replace(ARRAY_ELEMENT_ESCAPES, '\\$&') + '"';
  }
  return out + '}';
}

const isoOrNull = (d: Date | null | undefined) => (d ? d.toISOString() : null);
const jsonOrNull = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));

/**
 * Everything the server stores, over Drizzle. Awaited calls are for the cold path (auth lookups,
 * start/end of a stream, reports); the hot path goes through the batch writers (`chunks`, `events`).
 */
export interface TwinStore {
  readonly db: TwinDatabase;
  /** Audit copies of SSE events, written behind. */
  readonly chunks: BatchWriter<ChunkRow>;
  /** Lifecycle audit log, written behind. */
  readonly events: BatchWriter<EventRow>;
  /** Billing records opened at stream start, group-committed so a burst of starts is one INSERT. */
  readonly openings: BatchWriter<OpenBillingRecord>;
  /** stream_connections rows written at start (the final upsert at the end wins). */
  readonly connectionsOpened: BatchWriter<ConnectionRow>;

  insertApiKey(row: typeof apiKeys.$inferInsert): Promise<void>;
  findApiKeyByHash(hash: string): Promise<ApiKeyRow | undefined>;
  listApiKeys(tenantId?: string): Promise<ApiKeyRow[]>;
  revokeApiKey(id: string): Promise<boolean>;
  countApiKeys(): Promise<number>;

  upsertConnection(row: ConnectionRow): Promise<void>;
  getConnection(tenantId: string, streamId: string): Promise<typeof streamConnections.$inferSelect | undefined>;

  /**
   * Finalises a billing record exactly once (`UPDATE ... WHERE state = 'open'`). Returns the record
   * when this call finalised it, `undefined` when it was already final (idempotent).
   */
  finaliseBillingRecord(streamId: string, bill: FinalBilling): Promise<StreamBillingRecord | undefined>;
  /**
   * Everything a finished stream leaves behind (final bill, connection row, metrics, buffer
   * snapshot), group-committed with the other streams ending at the same time: one transaction.
   * Resolves `true` when this call finalised the billing record (`false`: it was already final).
   */
  endStream(ending: StreamEnding): Promise<boolean>;
  getBillingRecord(tenantId: string, streamId: string): Promise<StreamBillingRecord | undefined>;
  listBillingRecords(tenantId: string, query?: BillingRecordQuery): Promise<StreamBillingRecord[]>;
  /** Open records of every tenant opened by this instance (what a restart reconciles). */
  listOpenBillingRecords(limit?: number): Promise<StreamBillingRecord[]>;
  readonly instanceId: string;
  /** Tokens of the tenant's final records whose stream ended at or after `from` (period-to-date, for volume discounts). */
  tenantTokensSince(tenantId: string, from: Date): Promise<number>;

  /** Text and reasoning the stream sent, from the audit copy (usage estimation on reconcile). */
  readStreamContent(streamId: string): Promise<{ text: string; bytes: number; lastSeq: number; lastAt: Date | undefined }>;
  /** The input-token estimate stored with the `stream.start` audit event, if it landed. */
  readStartEstimate(streamId: string): Promise<{ inputTokens?: number } | undefined>;
  markConnectionInterrupted(streamId: string, endedAt: Date): Promise<void>;

  /** Events and bytes a stream sent since `since` (from the audit copy). */
  chunkWindow(tenantId: string, streamId: string, since: Date): Promise<{ events: number; bytes: number }>;
  upsertMetrics(row: MetricsRow): Promise<void>;
  getMetrics(tenantId: string, streamId: string): Promise<typeof streamMetrics.$inferSelect | undefined>;
  upsertBufferState(streamId: string, tenantId: string, state: Record<string, unknown>): Promise<void>;

  listBillingConfigs(): Promise<StreamBillingConfig[]>;
  upsertBillingConfig(config: StreamBillingConfig & { id: string }): Promise<void>;

  listBudgets(tenantId: string): Promise<BudgetRow[]>;
  upsertBudget(row: typeof streamBudgets.$inferInsert): Promise<void>;

  insertAlert(row: AlertRow): Promise<void>;
  listAlerts(tenantId: string, limit?: number): Promise<(typeof streamAlerts.$inferSelect)[]>;
  insertUsageReport(row: typeof streamUsageReports.$inferInsert): Promise<void>;

  /** Writes everything queued behind. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface TwinStoreOptions {
  /**
   * This server instance's id (default `default`). Several instances sharing one database must use
   * distinct, stable ids: a restart only reconciles the open records of its own id.
   */
  instanceId?: string;
  /** Batch write interval for events and connection rows (default 50 ms). */
  batchIntervalMs?: number;
  /**
   * Batch write interval of the audit segments (default `batchIntervalMs` when given, else 250 ms).
   * Every running stream writes one segment a second; on an embedded database each batch is a
   * commit on the event loop, so fewer, larger batches (1,000 rows) cost far less per row.
   */
  chunkBatchIntervalMs?: number;
  onWriteError?: (table: string, error: unknown, rows: number) => void;
}


/** A bill's final fields as a json row of {@link BILL_COLUMNS}. */
function billRow(streamId: string, bill: FinalBilling) {
  return {
    stream_id: streamId,
    end_reason: bill.endReason,
    ended_at: bill.endedAt.toISOString(),
    input_tokens: bill.inputTokens ?? null,
    cache_read_tokens: bill.cacheReadTokens ?? null,
    cache_write_tokens: bill.cacheWriteTokens ?? null,
    output_tokens: bill.outputTokens ?? null,
    reasoning_tokens: bill.reasoningTokens ?? null,
    usage_estimated: bill.usageEstimated,
    usage_missing: bill.usageMissing,
    duration_ms: Math.max(0, Math.round(bill.durationMs)),
    bytes: bill.bytes,
    currency: bill.currency,
    pricing_config_id: bill.pricingConfigId ?? null,
    provider: bill.provider || null,
    model: bill.model || null,
    lines: bill.lines ?? null,
  };
}

/** The json_to_recordset column list of {@link billRow}. */
const BILL_COLUMNS = `stream_id text, end_reason text, ended_at timestamptz, input_tokens int, cache_read_tokens int, cache_write_tokens int,
  output_tokens int, reasoning_tokens int, usage_estimated boolean, usage_missing boolean, duration_ms int, bytes bigint,
  currency text, pricing_config_id text, provider text, model text, lines jsonb`;

/**
 * `UPDATE ... WHERE state = 'open'` from the bill rows in `x`: finalises once (a second call changes
 * nothing); line columns change only with lines, provider and model only when given, and
 * `tax_total` is the numeric sum of the tax lines. Returns the finalised stream ids.
 */
function finaliseFromX() {
  // A money column from the bill line of the same name (the schema knows the column's SQL name).
  type MoneyLine = 'tokenCost' | 'discount' | 'streaming' | 'bandwidthPremium' | 'infrastructure' | 'subtotal' | 'slaPenalty' | 'total';
  const money = (line: MoneyLine) => {
    const column = streamBillingRecords[line].name;
    return sql.raw(`${column} = case when x.lines is null then r.${column} else (x.lines->>'${line}')::numeric end`);
  };
  return sql`update ${streamBillingRecords} as r set
      state = 'final', end_reason = x.end_reason, ended_at = x.ended_at,
      input_tokens = x.input_tokens, cache_read_tokens = x.cache_read_tokens, cache_write_tokens = x.cache_write_tokens,
      output_tokens = x.output_tokens, reasoning_tokens = x.reasoning_tokens,
      usage_estimated = x.usage_estimated, usage_missing = x.usage_missing, duration_ms = x.duration_ms, bytes = x.bytes,
      currency = x.currency, pricing_config_id = x.pricing_config_id,
      provider = coalesce(x.provider, r.provider), model = coalesce(x.model, r.model),
      ${money('tokenCost')}, ${money('discount')}, ${money('streaming')}, ${money('bandwidthPremium')}, ${money('infrastructure')},
      ${money('subtotal')}, ${money('slaPenalty')}, ${money('total')},
      tax_total = case when x.lines is null then r.tax_total
        else (select coalesce(sum((t->>'amount')::numeric), 0) from jsonb_array_elements(x.lines->'taxes') as t) end,
      lines = coalesce(x.lines, r.lines)
    from x
    where r.stream_id = x.stream_id and r.state = 'open'
    returning r.stream_id`;
}

/** Finalises one stream's billing record; resolves with it when this call finalised it (`undefined`: already final). */
async function finalise(db: Pick<TwinDatabase, 'execute' | 'select'>, streamId: string, bill: FinalBilling): Promise<StreamBillingRecord | undefined> {
  const batch = JSON.stringify([billRow(streamId, bill)]);
  const done = (await db.execute(
    sql`with x as (select * from json_to_recordset(${batch}::json) as x(${sql.raw(BILL_COLUMNS)})) ${finaliseFromX()}`,
  )) as unknown as unknown[];
  if (done.length === 0) return undefined;
  const [row] = await db.select().from(streamBillingRecords).where(eq(streamBillingRecords.streamId, streamId)).limit(1);
  return row ? toRecord(row) : undefined;
}

/** A timestamp for a json parameter (`null` stays null). */
const iso = (value: Date | null | undefined) => (value ? value.toISOString() : null);

/**
 * Writes a group of stream endings as ONE statement with one json parameter: data-modifying CTEs
 * finalise the billing records (the UPDATE {@link finalise} runs for one) and upsert the connection
 * rows, metrics and buffer snapshots. One statement is one
 * transaction, so the group still commits or fails whole, without BEGIN and COMMIT round trips;
 * and nothing is built per stream by Drizzle (about 25 KB of garbage per stream with an UPDATE
 * each). Returns the stream ids whose record this call finalised.
 */
async function writeEndings(db: Pick<TwinDatabase, 'execute'>, items: readonly StreamEnding[]): Promise<Set<string>> {
  const now = new Date().toISOString();
  const batch = JSON.stringify(
    items.map(({ streamId, tenantId, bill, connection: c, metrics: m, buffer }) => ({
      ...billRow(streamId, bill),
      c_id: c.id,
      c_tenant_id: c.tenantId,
      c_api_key_id: c.apiKeyId ?? null,
      c_provider: c.provider,
      c_model: c.model,
      c_purpose: c.purpose ?? null,
      c_status: c.status,
      c_end_reason: c.endReason ?? null,
      c_error_code: c.errorCode ?? null,
      c_created_at: iso(c.createdAt),
      c_first_byte_at: iso(c.firstByteAt),
      c_ended_at: iso(c.endedAt),
      c_last_seq: c.lastSeq ?? 0,
      c_metadata: c.metadata ?? null,
      m_tenant_id: m.tenantId,
      m_ttft_ms: m.ttftMs ?? null,
      m_duration_ms: m.durationMs,
      m_bytes_sent: m.bytesSent,
      m_events_sent: m.eventsSent,
      m_metrics: m.metrics,
      m_updated_at: iso(m.updatedAt),
      b_tenant_id: tenantId,
      b_state: buffer,
    })),
  );
  const rows = (await db.execute(sql`with x as (
      select * from json_to_recordset(${batch}::json) as x(${sql.raw(BILL_COLUMNS)},
        c_id text, c_tenant_id text, c_api_key_id text, c_provider text, c_model text, c_purpose text, c_status text, c_end_reason text,
        c_error_code text, c_created_at timestamptz, c_first_byte_at timestamptz, c_ended_at timestamptz, c_last_seq int, c_metadata jsonb,
        m_tenant_id text, m_ttft_ms int, m_duration_ms int, m_bytes_sent bigint, m_events_sent int, m_metrics jsonb, m_updated_at timestamptz,
        b_tenant_id text, b_state jsonb)
    ), finalised as (${finaliseFromX()}
    ), connections as (
      insert into ${streamConnections} (id, tenant_id, api_key_id, provider, model, purpose, status, end_reason, error_code, created_at, first_byte_at, ended_at, last_seq, metadata)
      select c_id, c_tenant_id, c_api_key_id, c_provider, c_model, c_purpose, c_status, c_end_reason, c_error_code, c_created_at, c_first_byte_at, c_ended_at, c_last_seq, c_metadata from x
      on conflict (id) do update set tenant_id = excluded.tenant_id, api_key_id = excluded.api_key_id, provider = excluded.provider, model = excluded.model,
        purpose = excluded.purpose, status = excluded.status, end_reason = excluded.end_reason, error_code = excluded.error_code, created_at = excluded.created_at,
        first_byte_at = excluded.first_byte_at, ended_at = excluded.ended_at, last_seq = excluded.last_seq, metadata = excluded.metadata
    ), metrics as (
      insert into ${streamMetrics} (stream_id, tenant_id, ttft_ms, duration_ms, bytes_sent, events_sent, metrics, updated_at)
      select stream_id, m_tenant_id, m_ttft_ms, m_duration_ms, m_bytes_sent, m_events_sent, m_metrics, m_updated_at from x
      on conflict (stream_id) do update set tenant_id = excluded.tenant_id, ttft_ms = excluded.ttft_ms, duration_ms = excluded.duration_ms,
        bytes_sent = excluded.bytes_sent, events_sent = excluded.events_sent, metrics = excluded.metrics, updated_at = excluded.updated_at
    ), buffers as (
      insert into ${streamBuffers} (stream_id, tenant_id, state, updated_at)
      select stream_id, b_tenant_id, b_state, ${now}::timestamptz from x
      on conflict (stream_id) do update set state = excluded.state, updated_at = excluded.updated_at
    )
    select stream_id from finalised`)) as unknown as Array<{ stream_id: string }>;
  return new Set(rows.map((row) => row.stream_id));
}

/** Builds the {@link TwinStore} on an opened database. */
export function createTwinStore(db: TwinDatabase, options: TwinStoreOptions = {}): TwinStore {
  const intervalMs = options.batchIntervalMs ?? 50;
  const instanceId = options.instanceId ?? 'default';
  const chunks = createBatchWriter<ChunkRow>({
    intervalMs: options.chunkBatchIntervalMs ?? options.batchIntervalMs ?? 250,
    maxBatch: 1_000,
    // One statement with ONE json parameter for the whole batch (json_to_recordset) instead of a
    // VALUES list with eight parameters per row: cheap to parse and plan on both drivers, and the
    // escaping of the audit JSON is JSON.stringify's (native) instead of a regex pass per segment.
    // A retried batch may have landed already (the reply was lost): the primary key makes it a no-op.
    write: async (rows) => {
      const batch = JSON.stringify(
        rows.map((r) => ({
          stream_id: r.streamId,
          seq: r.seq,
          last_seq: r.lastSeq ?? r.seq,
          tenant_id: r.tenantId,
          event: r.event,
          data: r.data,
          bytes: r.bytes,
          created_at: (r.createdAt ?? new Date()).toISOString(),
        })),
      );
      await db.execute(sql`insert into ${streamChunks} (stream_id, seq, last_seq, tenant_id, event, data, bytes, created_at)
        select * from json_to_recordset(${batch}::json)
          as t(stream_id text, seq int, last_seq int, tenant_id text, event text, data text, bytes int, created_at timestamptz)
        on conflict do nothing`);
    },
    onError: (e, n) => options.onWriteError?.('stream_chunks', e, n),
  });
  const events = createBatchWriter<EventRow>({
    intervalMs,
    maxBatch: 1_000,
    write: async (rows) => {
      // unnest, as for chunks: one array parameter per column instead of a parameter per value.
      await db.execute(sql`insert into ${streamEvents} (stream_id, tenant_id, type, data, created_at)
        select * from unnest(
          ${pgArray(rows.map((r) => r.streamId))}::text[], ${pgArray(rows.map((r) => r.tenantId))}::text[],
          ${pgArray(rows.map((r) => r.type))}::text[], ${pgArray(rows.map((r) => jsonOrNull(r.data)))}::jsonb[],
          ${pgArray(rows.map((r) => (r.createdAt ?? new Date()).toISOString()))}::timestamptz[])`);
    },
    onError: (e, n) => options.onWriteError?.('stream_events', e, n),
  });
  const openings = createBatchWriter<OpenBillingRecord>({
    // Short: this is the window in which a crash could lose the opening of a just-started stream.
    intervalMs: 10,
    maxBatch: 500,
    // unnest: a burst of stream starts is one statement with 13 array parameters, not 13 per row
    // (an embedded database parses and plans it on the event loop, before the next first byte).
    write: async (rows) => {
      await db.execute(sql`insert into ${streamBillingRecords}
          (id, stream_id, idempotency_key, tenant_id, api_key_id, user_id, provider, model, purpose, instance_id, state, started_at, currency)
        select id, stream_id, stream_id, tenant_id, api_key_id, user_id, provider, model, purpose, ${instanceId}, 'open', started_at, currency
        from unnest(
          ${pgArray(rows.map((r) => r.id))}::text[], ${pgArray(rows.map((r) => r.streamId))}::text[],
          ${pgArray(rows.map((r) => r.tenantId))}::text[], ${pgArray(rows.map((r) => r.apiKeyId))}::text[],
          ${pgArray(rows.map((r) => r.userId))}::text[], ${pgArray(rows.map((r) => r.provider))}::text[],
          ${pgArray(rows.map((r) => r.model))}::text[], ${pgArray(rows.map((r) => r.purpose))}::text[],
          ${pgArray(rows.map((r) => r.startedAt.toISOString()))}::timestamptz[], ${pgArray(rows.map((r) => r.currency))}::text[])
          as t(id, stream_id, tenant_id, api_key_id, user_id, provider, model, purpose, started_at, currency)
        on conflict do nothing`);
    },
    onError: (e, n) => options.onWriteError?.('stream_billing_records', e, n),
  });

  const connectionsOpened = createBatchWriter<ConnectionRow>({
    intervalMs,
    maxBatch: 500,
    write: async (rows) => {
      await db.execute(sql`insert into ${streamConnections}
          (id, tenant_id, api_key_id, provider, model, purpose, status, created_at, last_seq, metadata)
        select * from unnest(
          ${pgArray(rows.map((r) => r.id))}::text[], ${pgArray(rows.map((r) => r.tenantId))}::text[],
          ${pgArray(rows.map((r) => r.apiKeyId))}::text[], ${pgArray(rows.map((r) => r.provider))}::text[],
          ${pgArray(rows.map((r) => r.model))}::text[], ${pgArray(rows.map((r) => r.purpose))}::text[],
          ${pgArray(rows.map((r) => r.status))}::text[], ${pgArray(rows.map((r) => isoOrNull(r.createdAt)))}::timestamptz[],
          ${pgArray(rows.map((r) => r.lastSeq ?? 0))}::int[], ${pgArray(rows.map((r) => jsonOrNull(r.metadata)))}::jsonb[])
        on conflict do nothing`);
    },
    onError: (e, n) => options.onWriteError?.('stream_connections', e, n),
  });

  const endings = createGroupCommit<StreamEnding, boolean>({
    intervalMs: 20,
    run: async (items) => {
      if (openings.pending > 0) await openings.flush();
      const finalised = await writeEndings(db, items);
      return items.map((i) => finalised.has(i.streamId));
    },
  });

  return {
    db,
    chunks,
    events,
    openings,
    connectionsOpened,
    instanceId,

    async insertApiKey(row) {
      await db.insert(apiKeys).values(row);
    },
    async findApiKeyByHash(hash) {
      const rows = await db.select().from(apiKeys).where(eq(apiKeys.keyHash, hash)).limit(1);
      return rows[0];
    },
    async listApiKeys(tenantId) {
      const q = db.select().from(apiKeys);
      return tenantId ? q.where(eq(apiKeys.tenantId, tenantId)).orderBy(asc(apiKeys.createdAt)) : q.orderBy(asc(apiKeys.createdAt));
    },
    async revokeApiKey(id) {
      const rows = await db
        .update(apiKeys)
        .set({ revokedAt: new Date() })
        .where(and(eq(apiKeys.id, id), sql`${apiKeys.revokedAt} is null`))
        .returning({ id: apiKeys.id });
      return rows.length > 0;
    },
    async countApiKeys() {
      const rows = await db.select({ n: sql<number>`count(*)::int` }).from(apiKeys);
      return rows[0]?.n ?? 0;
    },

    async upsertConnection(row) {
      const { id: _id, ...rest } = row;
      await db.insert(streamConnections).values(row).onConflictDoUpdate({ target: streamConnections.id, set: rest });
    },
    async getConnection(tenantId, streamId) {
      const rows = await db
        .select()
        .from(streamConnections)
        .where(and(eq(streamConnections.id, streamId), eq(streamConnections.tenantId, tenantId)))
        .limit(1);
      return rows[0];
    },

    async finaliseBillingRecord(streamId, bill) {
      // The opening may still sit in its group-commit queue: land it first, so the UPDATE finds it.
      if (openings.pending > 0) await openings.flush();
      return finalise(db, streamId, bill);
    },
    async endStream(ending) {
      return endings.submit(ending);
    },
    async getBillingRecord(tenantId, streamId) {
      const rows = await db
        .select()
        .from(streamBillingRecords)
        .where(and(eq(streamBillingRecords.streamId, streamId), eq(streamBillingRecords.tenantId, tenantId)))
        .limit(1);
      return rows[0] ? toRecord(rows[0]) : undefined;
    },
    async listBillingRecords(tenantId, query = {}) {
      const conditions = [eq(streamBillingRecords.tenantId, tenantId)];
      if (query.from) conditions.push(gte(streamBillingRecords.startedAt, query.from));
      if (query.to) conditions.push(lt(streamBillingRecords.startedAt, query.to));
      if (query.before) conditions.push(lt(streamBillingRecords.startedAt, query.before));
      if (query.provider) conditions.push(eq(streamBillingRecords.provider, query.provider));
      if (query.model) conditions.push(eq(streamBillingRecords.model, query.model));
      if (query.state) conditions.push(eq(streamBillingRecords.state, query.state));
      const rows = await db
        .select()
        .from(streamBillingRecords)
        .where(and(...conditions))
        .orderBy(desc(streamBillingRecords.startedAt), desc(streamBillingRecords.id))
        .limit(Math.min(query.limit ?? 100, 10_000));
      return rows.map(toRecord);
    },
    async listOpenBillingRecords(limit = 10_000) {
      const rows = await db
        .select()
        .from(streamBillingRecords)
        .where(and(eq(streamBillingRecords.state, 'open'), eq(streamBillingRecords.instanceId, instanceId)))
        .orderBy(asc(streamBillingRecords.startedAt))
        .limit(limit);
      return rows.map(toRecord);
    },
    async tenantTokensSince(tenantId, from) {
      const rows = await db
        .select({
          n: sql<string>`coalesce(sum(coalesce(${streamBillingRecords.inputTokens}, 0) + coalesce(${streamBillingRecords.outputTokens}, 0)), 0)::text`,
        })
        .from(streamBillingRecords)
        // A stream's tokens count in the period it ended (was billed) in, like the usage report.
        .where(and(eq(streamBillingRecords.tenantId, tenantId), eq(streamBillingRecords.state, 'final'), sql`${billedAt} >= ${from.toISOString()}::timestamptz`));
      return Number(rows[0]?.n ?? 0);
    },

    async readStreamContent(streamId) {
      const rows = await db
        .select({ seq: streamChunks.seq, lastSeq: streamChunks.lastSeq, event: streamChunks.event, data: streamChunks.data, bytes: streamChunks.bytes, createdAt: streamChunks.createdAt })
        .from(streamChunks)
        .where(eq(streamChunks.streamId, streamId))
        .orderBy(asc(streamChunks.seq));
      let text = '';
      let bytes = 0;
      let lastSeq = 0;
      let lastAt: Date | undefined;
      for (const row of rows) {
        bytes += row.bytes;
        lastSeq = row.lastSeq ?? row.seq;
        lastAt = row.createdAt;
        // Our own rows: a segment (JSON array of { event, data }) or a single event's data.
        const parsed = safeParseJSON(row.data);
        if (!parsed.success) continue;
        const items = Array.isArray(parsed.value) ? (parsed.value as Array<{ event?: unknown; data?: unknown }>) : [{ event: row.event, data: parsed.value }];
        for (const item of items) {
          if (item.event !== 'chunk' && item.event !== 'resync') continue;
          const data = (item.data ?? {}) as { text?: unknown; reasoning?: unknown };
          // A sealed payload has no clear text to count (its bytes are still billed).
          if (typeof data.text === 'string') text += data.text;
          if (typeof data.reasoning === 'string') text += data.reasoning;
        }
      }
      return { text, bytes, lastSeq, lastAt };
    },
    async readStartEstimate(streamId) {
      const rows = await db
        .select({ data: streamEvents.data })
        .from(streamEvents)
        .where(and(eq(streamEvents.streamId, streamId), eq(streamEvents.type, 'stream.start')))
        .limit(1);
      const data = rows[0]?.data as { inputTokens?: unknown } | undefined | null;
      if (!data) return undefined;
      return typeof data.inputTokens === 'number' ? { inputTokens: data.inputTokens } : {};
    },
    async markConnectionInterrupted(streamId, endedAt) {
      await db
        .update(streamConnections)
        .set({ status: 'interrupted', endReason: 'interrupted', endedAt })
        .where(eq(streamConnections.id, streamId));
    },

    async chunkWindow(tenantId, streamId, since) {
      const rows = await db
        .select({ events: sql<number>`count(*)::int`, bytes: sql<number>`coalesce(sum(${streamChunks.bytes}), 0)::int` })
        .from(streamChunks)
        .where(and(eq(streamChunks.streamId, streamId), eq(streamChunks.tenantId, tenantId), gte(streamChunks.createdAt, since)));
      return { events: rows[0]?.events ?? 0, bytes: rows[0]?.bytes ?? 0 };
    },
    async upsertMetrics(row) {
      const { streamId: _s, ...rest } = row;
      await db.insert(streamMetrics).values(row).onConflictDoUpdate({ target: streamMetrics.streamId, set: rest });
    },
    async getMetrics(tenantId, streamId) {
      const rows = await db
        .select()
        .from(streamMetrics)
        .where(and(eq(streamMetrics.streamId, streamId), eq(streamMetrics.tenantId, tenantId)))
        .limit(1);
      return rows[0];
    },
    async upsertBufferState(streamId, tenantId, state) {
      const updatedAt = new Date();
      await db
        .insert(streamBuffers)
        .values({ streamId, tenantId, state, updatedAt })
        .onConflictDoUpdate({ target: streamBuffers.streamId, set: { state, updatedAt } });
    },

    async listBillingConfigs() {
      const rows = await db.select().from(streamBillingConfigs).orderBy(asc(streamBillingConfigs.effectiveFrom));
      return rows.map((r) => ({ ...(r.config as unknown as StreamBillingConfig), id: r.id }));
    },
    async upsertBillingConfig(config) {
      const row = {
        id: config.id,
        provider: config.provider,
        model: config.model,
        effectiveFrom: new Date(config.effectiveFrom),
        config: config as unknown as Record<string, unknown>,
      };
      const { id: _id, ...rest } = row;
      await db.insert(streamBillingConfigs).values(row).onConflictDoUpdate({ target: streamBillingConfigs.id, set: rest });
    },

    async listBudgets(tenantId) {
      return db.select().from(streamBudgets).where(eq(streamBudgets.tenantId, tenantId));
    },
    async upsertBudget(row) {
      await db
        .insert(streamBudgets)
        .values(row)
        .onConflictDoUpdate({
          target: [streamBudgets.tenantId, streamBudgets.period],
          set: { limitAmount: row.limitAmount, currency: row.currency, config: row.config, updatedAt: row.updatedAt },
        });
    },

    async insertAlert(row) {
      await db.insert(streamAlerts).values(row);
    },
    async listAlerts(tenantId, limit = 100) {
      return db.select().from(streamAlerts).where(eq(streamAlerts.tenantId, tenantId)).orderBy(desc(streamAlerts.createdAt)).limit(limit);
    },
    async insertUsageReport(row) {
      await db.insert(streamUsageReports).values(row);
    },

    async flush() {
      await Promise.all([openings.flush(), chunks.flush(), events.flush(), connectionsOpened.flush()]);
      await endings.flush();
    },
    async close() {
      await endings.flush();
      await Promise.all([openings.close(), chunks.close(), events.close(), connectionsOpened.close()]);
    },
  };
}

