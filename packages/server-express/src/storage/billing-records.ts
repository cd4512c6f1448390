import { and, asc, desc, eq, gte, lt, sql } from 'drizzle-orm';
import type { StreamBillingRecord } from '@twin/core';
import { finalize, writeEndings } from './billing-finalization';
import { createBatchWriter, type BatchWriter } from './batch-writer';
import { createGroupCommit } from './group-commit';
import type { TwinDatabase } from './open-database';
import { fixedStatement } from './fixed-statement';
import { pgArray } from './pg-array';
import type { BehindOpenings } from './behind-openings';
import type { OpenedOpeningsJournal } from './openings-journal';
import { urgentLane } from './pglite-worker-drizzle';
import { streamBillingRecords } from './schema';
import { toRecord, type BillingRecordQuery, type StreamEnding } from './store-rows';
import { billedAt } from './usage-report';

/** The billing records: opened at stream start, finalized once at its end, read back for reports. */
export interface BillingRecordStore {
  /**
   * Open billing records (core's `openBillingRecord`) written at stream start, group-committed so a
   * burst of starts is one INSERT. A second opening of the same stream is a no-op.
   */
  readonly openings: BatchWriter<StreamBillingRecord>;
  /**
   * Writes a final billing record (core's `finalizeBillingRecord`) exactly once (`UPDATE ... WHERE
   * state = 'open'`). Returns the stored record when this call finalized it, `undefined` when it was
   * already final (idempotent).
   */
  finalizeBillingRecord(record: StreamBillingRecord): Promise<StreamBillingRecord | undefined>;
  /**
   * Everything a finished stream leaves behind (final record, connection row, metrics, buffer
   * snapshot), group-committed with the other streams ending at the same time: one statement.
   * Resolves `true` when this call finalized the billing record (`false`: it was already final).
   */
  endStream(ending: StreamEnding): Promise<boolean>;
  getBillingRecord(tenantId: string, streamId: string): Promise<StreamBillingRecord | undefined>;
  listBillingRecords(tenantId: string, query?: BillingRecordQuery): Promise<StreamBillingRecord[]>;
  /**
   * Open records of every tenant opened by this instance (what a restart reconciles), or by
   * `of.instanceId` (a dead instance a survivor reconciles), started before `of.startedBefore`.
   */
  listOpenBillingRecords(limit?: number, of?: { instanceId: string; startedBefore?: Date }): Promise<StreamBillingRecord[]>;
  /** Tokens of the tenant's final records whose stream ended at or after `from` (period-to-date, for volume discounts). */
  tenantTokensSince(tenantId: string, from: Date): Promise<number>;
}

/** The billing record store plus what the store facade needs to drain it. */
export interface BillingRecordWriters extends BillingRecordStore {
  /** Lands the queued stream endings. */
  flushEndings(): Promise<void>;
}

/** How long a stream ending waits for others to share its statement. */
const ENDINGS_INTERVAL_MS = 20;

/**
 * How long a journaled opening waits for others to share its statement (an ending, a read of the
 * billing records or a flush sends it sooner): it widens nothing a crash loses (the journal holds
 * it), and a reader never misses a started stream's record (reads send the pending openings first).
 */
const JOURNALED_OPENINGS_INTERVAL_MS = 50;

/** The columns an opening writes, in the order both of its statements give them. */
const OPENING_COLUMNS = sql.raw('(id, stream_id, idempotency_key, tenant_id, api_key_id, user_id, provider, model, purpose, instance_id, state, started_at, currency)');

/** One opening (the usual case, paced starts): a plain VALUES insert, its text built once. */
const INSERT_OPENING = fixedStatement(
  12,
  (id, streamId, idempotencyKey, tenantId, apiKeyId, userId, provider, model, purpose, instanceId, startedAt, currency) => sql`insert into ${streamBillingRecords} ${OPENING_COLUMNS}
    values (${id}, ${streamId}, ${idempotencyKey}, ${tenantId}, ${apiKeyId}, ${userId}, ${provider}, ${model},
      ${purpose}, ${instanceId}, 'open', ${startedAt}::timestamptz, ${currency})
    on conflict do nothing`,
);

/** A burst of openings: one array parameter per column (unnest), its text built once. */
const INSERT_OPENINGS = fixedStatement(
  12,
  (ids, streamIds, idempotencyKeys, tenantIds, apiKeyIds, userIds, providers, models, purposes, instanceId, startedAts, currencies) => sql`insert into ${streamBillingRecords} ${OPENING_COLUMNS}
    select id, stream_id, idempotency_key, tenant_id, api_key_id, user_id, provider, model, purpose, ${instanceId}, 'open', started_at, currency
    from unnest(
      ${ids}::text[], ${streamIds}::text[], ${idempotencyKeys}::text[], ${tenantIds}::text[], ${apiKeyIds}::text[], ${userIds}::text[],
      ${providers}::text[], ${models}::text[], ${purposes}::text[], ${startedAts}::timestamptz[], ${currencies}::text[])
      as t(id, stream_id, idempotency_key, tenant_id, api_key_id, user_id, provider, model, purpose, started_at, currency)
    on conflict do nothing`,
);

/** Builds the billing record store of instance `instanceId`. */
export function createBillingRecordStore(
  db: TwinDatabase,
  instanceId: string,
  onWriteError: ((table: string, error: unknown, rows: number) => void) | undefined,
  behind?: BehindOpenings,
  opened?: OpenedOpeningsJournal,
): BillingRecordWriters {
  // A stream's first content waits for its opening: on the embedded database's one connection it
  // overtakes the audit, connection and ending batches queued there.
  const urgent = urgentLane(db);
  const journal = opened?.journal;
  // An opening whose journal write failed: durable() waits for the database until everything
  // pushed so far is committed.
  let unjournaled = false;
  const writer = createBatchWriter<StreamBillingRecord>({
    // Without a journal, a stream's first content waits for its opening to be committed
    // (OpeningGate), so this is on the time to first token: group commit with no added wait. The
    // statement leaves as soon as the code that started the stream is done (a microtask, before
    // the provider's first part and before any other callback), starts pushed by the same code
    // share it, and those arriving while one commits form the next.
    // With the journal, nothing waits on the statement (an opening is durable once appended,
    // below): the openings are batched as the rows nobody waits on are, and the writes deferred
    // behind them (endings, audit, connection rows) leave with them. One statement for the
    // openings of JOURNALED_OPENINGS_INTERVAL_MS instead of one per stream, each right after
    // that stream's first chunk: the database's worker ran 1.8 statements per paced request, the
    // opening's INSERT the costliest (some 1 ms of its CPU), on the two cores the requests share.
    intervalMs: journal ? JOURNALED_OPENINGS_INTERVAL_MS : 0,
    maxBatch: 500,
    write: async (rows) => {
      await writeOpenings(rows);
      // Nothing pushed after this batch: every opening journaled so far is committed.
      if (writer.pending === rows.length) {
        journal?.clear();
        unjournaled = false;
      }
      // What waits behind the openings (endings, audit, connection rows) goes now, in the gap
      // before the next stream starts, instead of holding up its opening (see BehindOpenings).
      behind?.committed();
    },
    onError: (e, n) => onWriteError?.('stream_billing_records', e, n),
  });
  // With the journal (embedded database on a folder), an opening is durable once it is appended:
  // a stream's first content waits for one write on this thread instead of the database's worker
  // (see OpeningsJournal). The row still goes to the database as before; the journal is emptied
  // once the database has committed everything it holds.
  const openings: BatchWriter<StreamBillingRecord> = journal
    ? {
        push(row) {
          if (!journal.append(row)) unjournaled = true;
          writer.push(row);
        },
        // An opening the journal could not take is waited for: its batch leaves now.
        durable: () => (unjournaled ? (void writer.flush().catch(() => {}), writer.durable()) : Promise.resolve()),
        get pending() {
          return writer.pending;
        },
        flush: () => writer.flush(),
        async close() {
          // A close that could not write everything (the database gone) keeps the file for the next start.
          await writer.close().finally(() => journal.close(writer.pending === 0));
        },
      }
    : writer;
  // Openings a previous process journaled and may not have committed (it crashed): inserted
  // again, which changes nothing for those it did (on conflict do nothing). They stay in the file
  // until committed. Reconciling open records flushes them first (listOpenBillingRecords).
  for (const row of opened?.leftover ?? []) writer.push(row);

  // unnest: a burst of stream starts is one statement with 11 array parameters, not 11 per row
  // (the embedded database parses and plans every statement, one at a time). A lone opening
  // (paced starts: the usual case) is a plain VALUES insert, which the embedded database parses,
  // plans and runs in some 0.3 ms less CPU than the unnest of one row (of about 1 ms).
  async function writeOpenings(rows: StreamBillingRecord[]): Promise<void> {
    if (rows.length === 1) {
      const r = rows[0]!;
      await urgent.execute(
        INSERT_OPENING(r.id, r.streamId, r.idempotencyKey, r.tenantId, r.apiKeyId ?? null, r.userId ?? null, r.provider, r.model, r.purpose ?? null, instanceId, r.startedAt, r.currency),
      );
      return;
    }
    await urgent.execute(
      INSERT_OPENINGS(
        pgArray(rows.map((r) => r.id)),
        pgArray(rows.map((r) => r.streamId)),
        pgArray(rows.map((r) => r.idempotencyKey)),
        pgArray(rows.map((r) => r.tenantId)),
        pgArray(rows.map((r) => r.apiKeyId)),
        pgArray(rows.map((r) => r.userId)),
        pgArray(rows.map((r) => r.provider)),
        pgArray(rows.map((r) => r.model)),
        pgArray(rows.map((r) => r.purpose)),
        instanceId,
        pgArray(rows.map((r) => r.startedAt)),
        pgArray(rows.map((r) => r.currency)),
      ),
    );
  }

  // What reads or updates the records lands the openings still queued first: an ending's or a
  // final record's UPDATE must find its row, and a reader must see every started stream's record
  // (journaled openings wait up to JOURNALED_OPENINGS_INTERVAL_MS for their statement).
  const landOpenings = async (): Promise<void> => {
    if (openings.pending > 0) await openings.flush();
  };

  const endings = createGroupCommit<StreamEnding, boolean>({
    intervalMs: ENDINGS_INTERVAL_MS,
    ...(behind ? { defer: (go: () => void) => behind.defer(go, ENDINGS_INTERVAL_MS) } : {}),
    run: async (items) => {
      await landOpenings();
      const finalized = await writeEndings(db, items);
      return items.map((i) => finalized.has(i.record.streamId));
    },
  });

  return {
    openings,
    flushEndings: () => endings.flush(),

    async finalizeBillingRecord(record) {
      await landOpenings();
      return finalize(db, record);
    },
    async endStream(ending) {
      return endings.submit(ending);
    },
    async getBillingRecord(tenantId, streamId) {
      await landOpenings();
      const rows = await db
        .select()
        .from(streamBillingRecords)
        .where(and(eq(streamBillingRecords.streamId, streamId), eq(streamBillingRecords.tenantId, tenantId)))
        .limit(1);
      return rows[0] ? toRecord(rows[0]) : undefined;
    },
    async listBillingRecords(tenantId, query = {}) {
      await landOpenings();
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
    async listOpenBillingRecords(limit = 10_000, of) {
      // Openings not yet written (a previous process's journal, above) are open records too.
      await landOpenings();
      const conditions = [eq(streamBillingRecords.state, 'open'), eq(streamBillingRecords.instanceId, of?.instanceId ?? instanceId)];
      if (of?.startedBefore) conditions.push(lt(streamBillingRecords.startedAt, of.startedBefore));
      const rows = await db
        .select()
        .from(streamBillingRecords)
        .where(and(...conditions))
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
  };
}
