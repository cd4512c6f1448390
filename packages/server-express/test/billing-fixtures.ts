import { openBillingRecord, type BillLines, type BillingEndReason, type StreamBillingRecord, type StreamUsageReport } from '@twin/core';
import type { TwinStore } from '../src/index';

/** How a test record ends: the fields of a final record, its end time as a Date. */
export interface RecordEnd {
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

/** An open record as the server opens one (core's `openBillingRecord`); provider `simulated`, model `sim-1` unless given. */
export function openRecordOf(spec: { streamId: string; tenantId: string; startedAt?: Date; provider?: string; model?: string; currency?: string; purpose?: string; userId?: string; apiKeyId?: string }): StreamBillingRecord {
  return openBillingRecord({
    id: `bill_${spec.streamId}`,
    streamId: spec.streamId,
    tenantId: spec.tenantId,
    provider: spec.provider ?? 'simulated',
    model: spec.model ?? 'sim-1',
    currency: spec.currency ?? 'USD',
    startedAt: spec.startedAt ?? new Date(),
    ...(spec.purpose !== undefined ? { purpose: spec.purpose } : {}),
    ...(spec.userId ? { userId: spec.userId } : {}),
    ...(spec.apiKeyId ? { apiKeyId: spec.apiKeyId } : {}),
  });
}

/** `open` made final with `end` (a test's stand-in for the server's `finalBillingRecord`). */
export function finalRecordOf(open: StreamBillingRecord, end: RecordEnd): StreamBillingRecord {
  return { ...open, ...end, state: 'final', endedAt: end.endedAt.toISOString(), provider: end.provider ?? open.provider, model: end.model ?? open.model };
}

/** A billing record to write through the store: opened at `startedAt`, finalized with `end` (open without). */
export interface RecordSpec {
  streamId: string;
  tenantId: string;
  provider: string;
  model: string;
  purpose?: string;
  userId?: string;
  apiKeyId?: string;
  currency: string;
  startedAt: Date;
  end?: Omit<RecordEnd, 'currency'>;
}

/** Opens every record (one group commit), then finalizes the ended ones, as the server does. */
export async function insertRecords(store: TwinStore, specs: RecordSpec[]): Promise<void> {
  const opened = specs.map((s) => openRecordOf(s));
  for (const record of opened) store.openings.push(record);
  await store.flush();
  for (const [i, s] of specs.entries()) if (s.end) await store.finalizeBillingRecord(finalRecordOf(opened[i]!, { ...s.end, currency: s.currency }));
}

export function billLines(amounts: Partial<Omit<BillLines, 'taxes' | 'slaBreaches'>> & { taxes?: string[] } = {}): BillLines {
  return {
    tokenCost: amounts.tokenCost ?? '0',
    discount: amounts.discount ?? '0',
    streaming: amounts.streaming ?? '0',
    bandwidthPremium: amounts.bandwidthPremium ?? '0',
    infrastructure: amounts.infrastructure ?? '0',
    subtotal: amounts.subtotal ?? '0',
    slaPenalty: amounts.slaPenalty ?? '0',
    slaBreaches: [],
    taxes: (amounts.taxes ?? []).map((amount, i) => ({ jurisdiction: `J${i}`, name: 'VAT', ratePercent: '10', amount })),
    total: amounts.total ?? '0',
  };
}

// Amounts of many scales (including zeros written with decimals), so the exact sums' scales are tested too.
const AMOUNTS = ['0.1', '0.2', '0.3', '0.000001', '12.345', '0', '0.00', '3', '0.0000005', '1.10', '99.999999999', '0.0032', '7.5'];

/**
 * A varied set of records of one tenant around the period `[from, to)`: several providers, models,
 * users, purposes (missing and ''), API keys; open records; estimated and missing usage; records
 * without bill lines; up to two tax lines; records that started before a period boundary and ended
 * after it; and a few in EUR. Ends at exactly `from`, `to` and the previous period's start are added.
 */
export function variedRecords(tenantId: string, from: Date, to: Date, count = 160, seed = 42): RecordSpec[] {
  // A deterministic LCG, so a failing case can be replayed from its seed.
  let state = seed >>> 0;
  const rnd = () => (state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0) / 4_294_967_296;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const int = (n: number) => Math.floor(rnd() * n);
  const length = to.getTime() - from.getTime();
  const windowStart = from.getTime() - length - 2 * 86_400_000;
  const windowEnd = to.getTime() + 86_400_000;
  const models = [['openai', 'gpt-a'], ['openai', 'gpt-b'], ['anthropic', 'claude-a'], ['anthropic', 'claude-b'], ['gemini', 'gem-a']] as const;
  const specs: RecordSpec[] = [];
  const endAt = (i: number, startedAt: Date, endedAt: Date, currency = i % 17 === 0 ? 'EUR' : 'USD'): RecordSpec => {
    const [provider, model] = pick(models);
    const usageMissing = rnd() < 0.1;
    const spec: RecordSpec = {
      streamId: `${tenantId}-s${i}`,
      tenantId,
      provider,
      model,
      currency,
      startedAt,
    };
    const purpose = pick(['chat', 'summarise', undefined, ''] as const);
    if (purpose !== undefined) spec.purpose = purpose;
    const userId = pick(['u1', 'u2', undefined] as const);
    if (userId) spec.userId = userId;
    if (rnd() < 0.5) spec.apiKeyId = pick(['key_a', 'key_b']);
    const end: Omit<RecordEnd, 'currency'> = {
      endReason: pick(['complete', 'error', 'client_abort', 'interrupted'] as const),
      endedAt,
      usageEstimated: !usageMissing && rnd() < 0.15,
      usageMissing,
      durationMs: endedAt.getTime() - startedAt.getTime(),
      bytes: int(5_000_000),
    };
    if (!usageMissing) {
      end.inputTokens = int(50_000);
      end.outputTokens = int(8_000);
      if (rnd() < 0.5) end.cacheReadTokens = int(20_000);
      if (rnd() < 0.3) end.cacheWriteTokens = int(5_000);
      if (rnd() < 0.3) end.reasoningTokens = int(3_000);
    }
    if (!usageMissing || rnd() < 0.5) {
      end.lines = billLines({
        tokenCost: pick(AMOUNTS),
        discount: pick(AMOUNTS),
        streaming: pick(AMOUNTS),
        bandwidthPremium: pick(AMOUNTS),
        infrastructure: pick(AMOUNTS),
        subtotal: pick(AMOUNTS),
        slaPenalty: pick(AMOUNTS),
        taxes: Array.from({ length: int(3) }, () => pick(AMOUNTS)),
        total: pick(AMOUNTS),
      });
    }
    spec.end = end;
    return spec;
  };
  for (let i = 0; i < count; i++) {
    const startedAt = new Date(windowStart + int(windowEnd - windowStart));
    // Most streams last minutes; one in five lasts days and so often ends in another period.
    const duration = rnd() < 0.2 ? int(5 * 86_400_000) : int(600_000);
    const spec = endAt(i, startedAt, new Date(startedAt.getTime() + duration));
    if (rnd() < 0.1) delete spec.end; // still open: not billed, never in a report
    specs.push(spec);
  }
  const prevFrom = new Date(from.getTime() - length);
  const at = (ms: number) => new Date(ms);
  specs.push(
    endAt(count, at(from.getTime() - 3_600_000), from), // started before, ended exactly at `from`: this period
    endAt(count + 1, at(to.getTime() - 60_000), to), // ended exactly at `to`: the next period
    endAt(count + 2, at(prevFrom.getTime() - 60_000), prevFrom), // ended exactly at the previous period's start
    endAt(count + 3, at(from.getTime() - 60_000), at(from.getTime() - 1)), // ended 1 ms before `from`: previous period
  );
  return specs;
}

/** Code-unit order of group keys (the server's order), so core's report can be compared with it. */
export function sortGroups(report: StreamUsageReport): StreamUsageReport {
  const keyOf = (g: StreamUsageReport['groups'][number]) => report.groupBy.map((d) => g.key[d] ?? '');
  const groups = [...report.groups].sort((a, b) => {
    const x = keyOf(a);
    const y = keyOf(b);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
    return 0;
  });
  return { ...report, groups };
}
