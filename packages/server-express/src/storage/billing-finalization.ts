import { eq, sql } from 'drizzle-orm';
import { TwinError, type StreamBillingRecord } from '@twin/core';
import type { TwinDatabase } from './open-database';
import { fixedStatement } from './fixed-statement';
import { isoOrNull } from './pg-array';
import { streamBillingRecords, streamBuffers, streamConnections, streamMetrics } from './schema';
import { toRecord, type StreamEnding } from './store-rows';

/**
 * A final record's fields as a json row of {@link BILL_COLUMNS}; with `ending`, also its connection
 * row, metrics and buffer snapshot (the `c_`, `m_` and `b_` columns of {@link writeEndings}, left out
 * of the json without it). The record is core's (`finalizeBillingRecord`), built in one place by the
 * server; storage only writes it. One object literal on purpose: the bill's fields spread into the
 * ending's row made V8 copy the row's hidden class property by property, some 25 KB of garbage per
 * stream ending (docs/server.md, "fifth round").
 */
function billRow(record: StreamBillingRecord, ending?: StreamEnding) {
  if (record.state !== 'final' || record.endReason === undefined || record.endedAt === undefined) {
    throw new TwinError('invalid_argument', `Only a final billing record (with endReason and endedAt) can finalize stream ${record.streamId}.`);
  }
  const c = ending?.connection;
  const m = ending?.metrics;
  return {
    stream_id: record.streamId,
    end_reason: record.endReason,
    ended_at: record.endedAt,
    input_tokens: record.inputTokens ?? null,
    cache_read_tokens: record.cacheReadTokens ?? null,
    cache_write_tokens: record.cacheWriteTokens ?? null,
    output_tokens: record.outputTokens ?? null,
    reasoning_tokens: record.reasoningTokens ?? null,
    usage_estimated: record.usageEstimated,
    usage_missing: record.usageMissing,
    duration_ms: Math.max(0, Math.round(record.durationMs)),
    bytes: record.bytes,
    currency: record.currency,
    pricing_config_id: record.pricingConfigId ?? null,
    exchange_rate: record.exchangeRate ?? null,
    unpriced: record.unpriced === true,
    provider: record.provider || null,
    model: record.model || null,
    lines: record.lines ?? null,
    c_id: c?.id,
    c_tenant_id: c?.tenantId,
    c_api_key_id: c && (c.apiKeyId ?? null),
    c_provider: c?.provider,
    c_model: c?.model,
    c_purpose: c && (c.purpose ?? null),
    c_status: c?.status,
    c_end_reason: c && (c.endReason ?? null),
    c_error_code: c && (c.errorCode ?? null),
    c_created_at: c && isoOrNull(c.createdAt),
    c_first_byte_at: c && isoOrNull(c.firstByteAt),
    c_ended_at: c && isoOrNull(c.endedAt),
    c_last_seq: c && (c.lastSeq ?? 0),
    c_metadata: c && (c.metadata ?? null),
    m_tenant_id: m?.tenantId,
    m_ttft_ms: m && (m.ttftMs ?? null),
    m_duration_ms: m?.durationMs,
    m_bytes_sent: m?.bytesSent,
    m_events_sent: m?.eventsSent,
    m_metrics: m?.metrics,
    m_updated_at: m && isoOrNull(m.updatedAt),
    b_tenant_id: ending && record.tenantId,
    b_state: ending?.buffer,
  };
}

/** A stream ending as one json row of {@link writeEndings}. */
const endingRow = (ending: StreamEnding) => billRow(ending.record, ending);

/** The json_to_recordset column list of {@link billRow}. */
const BILL_COLUMNS = `stream_id text, end_reason text, ended_at timestamptz, input_tokens int, cache_read_tokens int, cache_write_tokens int,
  output_tokens int, reasoning_tokens int, usage_estimated boolean, usage_missing boolean, duration_ms int, bytes bigint,
  currency text, pricing_config_id text, exchange_rate jsonb, unpriced boolean, provider text, model text, lines jsonb`;

/**
 * `UPDATE ... WHERE state = 'open'` from the bill rows in `x`: finalizes once (a second call changes
 * nothing); line columns change only with lines, provider and model only when given, and
 * `tax_total` is the numeric sum of the tax lines. Returns the finalized stream ids.
 */
function buildFinalizeFromX() {
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
      currency = x.currency, pricing_config_id = x.pricing_config_id, exchange_rate = coalesce(x.exchange_rate, r.exchange_rate),
      unpriced = x.unpriced, provider = coalesce(x.provider, r.provider), model = coalesce(x.model, r.model),
      ${money('tokenCost')}, ${money('discount')}, ${money('streaming')}, ${money('bandwidthPremium')}, ${money('infrastructure')},
      ${money('subtotal')}, ${money('slaPenalty')}, ${money('total')},
      tax_total = case when x.lines is null then r.tax_total
        else (select coalesce(sum((t->>'amount')::numeric), 0) from jsonb_array_elements(x.lines->'taxes') as t) end,
      lines = coalesce(x.lines, r.lines)
    from x
    where r.stream_id = x.stream_id and r.state = 'open'
    returning r.stream_id`;
}
/** Built once: it has no parameters. */
const FINALIZE_FROM_X = buildFinalizeFromX();

/** Writes one stream's final record; resolves with it when this call finalized it (`undefined`: already final). */
export async function finalize(db: Pick<TwinDatabase, 'execute' | 'select'>, record: StreamBillingRecord): Promise<StreamBillingRecord | undefined> {
  const batch = JSON.stringify([billRow(record)]);
  const done = (await db.execute(
    sql`with x as (select * from json_to_recordset(${batch}::json) as x(${sql.raw(BILL_COLUMNS)})) ${FINALIZE_FROM_X}`,
  )) as unknown as unknown[];
  if (done.length === 0) return undefined;
  const [row] = await db.select().from(streamBillingRecords).where(eq(streamBillingRecords.streamId, record.streamId)).limit(1);
  return row ? toRecord(row) : undefined;
}

/** {@link writeEndings}' statement, its text built once (parameters: the json rows, the time). */
const WRITE_ENDINGS = fixedStatement(
  2,
  (batch, now) => sql`with x as (
      select * from json_to_recordset(${batch}::json) as x(${sql.raw(BILL_COLUMNS)},
        c_id text, c_tenant_id text, c_api_key_id text, c_provider text, c_model text, c_purpose text, c_status text, c_end_reason text,
        c_error_code text, c_created_at timestamptz, c_first_byte_at timestamptz, c_ended_at timestamptz, c_last_seq int, c_metadata jsonb,
        m_tenant_id text, m_ttft_ms int, m_duration_ms int, m_bytes_sent bigint, m_events_sent int, m_metrics jsonb, m_updated_at timestamptz,
        b_tenant_id text, b_state jsonb)
    ), finalized as (${FINALIZE_FROM_X}
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
    select stream_id from finalized`,
);

/**
 * Writes a group of stream endings as ONE statement with one json parameter: data-modifying CTEs
 * finalize the billing records (the UPDATE {@link finalize} runs for one) and upsert the connection
 * rows, metrics and buffer snapshots. One statement is one
 * transaction, so the group still commits or fails whole, without BEGIN and COMMIT round trips;
 * and nothing is built per stream by Drizzle (about 25 KB of garbage per stream with an UPDATE
 * each). Returns the stream ids whose record this call finalized.
 */
export async function writeEndings(db: Pick<TwinDatabase, 'execute'>, items: readonly StreamEnding[]): Promise<Set<string>> {
  const now = new Date().toISOString();
  const batch = JSON.stringify(items.map(endingRow));
  const rows = (await db.execute(WRITE_ENDINGS(batch, now))) as unknown as Array<{ stream_id: string }>;
  return new Set(rows.map((row) => row.stream_id));
}
