/**
 * Billing benchmark: price 1,000,000 stream records exactly and aggregate them into a usage report,
 * beside a plain binary-float loop that does the same arithmetic over the same records. Prints the
 * medians, the ratio, and how far the float total drifted from the exact one.
 *
 * Run: `pnpm --filter @twin/core exec tsx bench/billing.bench.ts` (also part of `pnpm bench`).
 */
import { Bench } from 'tinybench';
import {
  buildUsageReport,
  calculateBill,
  DEFAULT_PRICING,
  finalizeBillingRecord,
  type BillingContext,
  type MeteredUsage,
  type StreamBillingConfig,
  type StreamBillingRecord,
} from '../src/index';

const ENDED_AT = '2025-06-10T12:00:30.000Z'; // as a storage row carries it
const N = Number(process.env.BILLING_BENCH_RECORDS ?? 1_000_000);
const ITERATIONS = Number(process.env.BILLING_BENCH_ITERATIONS ?? 3);

interface Input {
  config: StreamBillingConfig;
  metered: MeteredUsage;
  context: BillingContext;
  record: StreamBillingRecord;
}

// A deterministic mix: the five shipped tables, prompts with and without cache hits, streams of up
// to a minute and 300 KB, customers anywhere in their discount tiers, some SLA breaches.
function makeInputs(n: number): Input[] {
  let seed = 20_240_601;
  const rnd = () => (seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) / 4_294_967_296;
  const out: Input[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const config = DEFAULT_PRICING[i % DEFAULT_PRICING.length]!;
    const input = 20 + Math.floor(rnd() * 4_000);
    const cacheRead = rnd() < 0.3 ? Math.floor(input * rnd() * 0.8) : 0;
    const output = Math.floor(rnd() * 1_500);
    const metered: MeteredUsage = {
      usage: { inputTokens: input, cacheReadTokens: cacheRead, outputTokens: output },
      durationMs: Math.floor(rnd() * 60_000),
      bytes: Math.floor(rnd() * 300_000),
      connections: rnd() < 0.05 ? 2 : 1,
    };
    const context: BillingContext = {
      periodTokensBefore: Math.floor(rnd() * 25_000_000),
      sla: { uptimePercent: rnd() < 0.02 ? '97.5' : '99.9', latencyMs: 150 + Math.floor(rnd() * 600) },
    };
    const record: StreamBillingRecord = {
      id: `bill_s${i}`,
      streamId: `s${i}`,
      idempotencyKey: `twin-bill:v1:t1:s${i}`,
      tenantId: 't1',
      userId: `u${i % 1_000}`,
      provider: config.provider,
      model: config.model,
      state: 'open',
      startedAt: '2025-06-10T12:00:00.000Z',
      endedAt: '2025-06-10T12:00:30.000Z',
      usageEstimated: false,
      usageMissing: false,
      inputTokens: input,
      cacheReadTokens: cacheRead,
      outputTokens: output,
      durationMs: metered.durationMs,
      bytes: metered.bytes,
      currency: 'USD',
    };
    out[i] = { config, metered, context, record };
  }
  return out;
}

/**
 * Twin: each stream's open record is priced exactly and finalised with the public API, and the final
 * records stream (as from a database cursor) into an exact report grouped by provider and model.
 */
function* finalRecords(inputs: Input[]): Generator<StreamBillingRecord> {
  for (let i = 0; i < inputs.length; i++) {
    const x = inputs[i]!;
    const bill = calculateBill(x.metered, x.config, x.context);
    yield finalizeBillingRecord(x.record, { endReason: 'complete', endedAt: ENDED_AT, metered: x.metered, bill });
  }
}
function exact(inputs: Input[]) {
  return buildUsageReport(finalRecords(inputs), { from: '2025-06-01T00:00:00Z', to: '2025-07-01T00:00:00Z', groupBy: ['provider', 'model'], now: '2025-06-11T00:00:00Z' });
}

/** The same arithmetic on binary floats, the way gateways do it today. */
interface FloatPrices {
  input: number; cacheRead: number; output: number; perSecond: number; perMB: number; perConnection: number; perHour: number;
  premiumKB: number; perKB: number; tiers: [number, number][]; graduated: boolean;
  uptimeMin: number; uptimePenalty: number; latencyMax: number; latencyPenalty: number; cap: number;
}
function floatPrices(c: StreamBillingConfig): FloatPrices {
  return {
    input: Number(c.tokens.inputPer1K),
    cacheRead: Number(c.tokens.cachedInputReadPer1K ?? c.tokens.inputPer1K),
    output: Number(c.tokens.outputPer1K),
    perSecond: Number(c.streaming.perSecond),
    perMB: Number(c.streaming.perMB),
    perConnection: Number(c.infrastructure.perConnection),
    perHour: Number(c.infrastructure.perHour),
    premiumKB: Number(c.bandwidthPremium?.thresholdKB ?? Infinity),
    perKB: Number(c.bandwidthPremium?.perKB ?? 0),
    tiers: (c.volumeDiscount?.tiers ?? []).map((t) => [t.thresholdTokens, Number(t.ratePercent) / 100]),
    graduated: c.volumeDiscount?.mode === 'graduated',
    uptimeMin: Number(c.sla?.uptime?.minPercent ?? 0),
    uptimePenalty: Number(c.sla?.uptime?.penaltyPercent ?? 0) / 100,
    latencyMax: c.sla?.latency?.maxMs ?? Infinity,
    latencyPenalty: Number(c.sla?.latency?.penaltyPercent ?? 0) / 100,
    cap: Number(c.sla?.maxPenaltyPercent ?? 0) / 100,
  };
}
function float(inputs: Input[], prices: Map<StreamBillingConfig, FloatPrices>) {
  const groups = new Map<string, number[]>();
  for (let i = 0; i < inputs.length; i++) {
    const x = inputs[i]!;
    const p = prices.get(x.config)!;
    const u = x.metered.usage!;
    const tokens = u.inputTokens! + u.outputTokens!;
    const tokenCost = ((u.inputTokens! - u.cacheReadTokens!) * p.input + u.cacheReadTokens! * p.cacheRead + u.outputTokens! * p.output) / 1000;
    const before = x.context.periodTokensBefore!;
    let rate = 0;
    if (p.graduated) {
      for (let t = 0; t < p.tiers.length; t++) {
        const lo = p.tiers[t]![0];
        const hi = t + 1 < p.tiers.length ? p.tiers[t + 1]![0] : before + tokens;
        const n = Math.min(before + tokens, hi) - Math.max(before, lo);
        if (n > 0) rate += (n * p.tiers[t]![1]) / tokens;
      }
    } else for (const [th, r] of p.tiers) if (before + tokens >= th) rate = r;
    const discount = tokenCost * rate;
    const seconds = x.metered.durationMs / 1000;
    const streaming = seconds * p.perSecond + (x.metered.bytes / 1e6) * p.perMB;
    const premium = Math.max(0, x.metered.bytes / 1000 - p.premiumKB) * p.perKB;
    const infra = (x.metered.connections ?? 1) * p.perConnection + (seconds / 3600) * p.perHour;
    const subtotal = tokenCost - discount + streaming + premium + infra;
    const sla = x.context.sla!;
    let pen = 0;
    if (Number(sla.uptimePercent) < p.uptimeMin) pen += p.uptimePenalty;
    if (Number(sla.latencyMs) > p.latencyMax) pen += p.latencyPenalty;
    const penalty = subtotal * Math.min(pen, p.cap);
    const total = subtotal - penalty;
    const key = `${x.record.provider}\u0000${x.record.model}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = [0, 0, 0, 0, 0, 0, 0, 0, 0]));
    g[0]! += 1;
    g[1]! += tokenCost;
    g[2]! += discount;
    g[3]! += streaming;
    g[4]! += premium;
    g[5]! += infra;
    g[6]! += subtotal;
    g[7]! += penalty;
    g[8]! += total;
  }
  let total = 0;
  for (const g of groups.values()) total += g[8]!;
  return total;
}

/** A float gateway's final record: the stream's record with its amounts as binary floats. */
interface FloatRecord {
  id: string; streamId: string; idempotencyKey: string; tenantId: string; apiKeyId: string | undefined; userId: string | undefined;
  provider: string; model: string; purpose: string | undefined; state: 'final'; endReason: 'complete'; startedAt: string; endedAt: string;
  usageEstimated: boolean; usageMissing: boolean; inputTokens: number | undefined; cacheReadTokens: number | undefined;
  cacheWriteTokens: number | undefined; outputTokens: number | undefined; reasoningTokens: number | undefined;
  durationMs: number; bytes: number; connections: number; currency: string; pricingConfigId: string | undefined; unpriced: boolean | undefined;
  tokenCost: number; discount: number; streaming: number; premium: number; infrastructure: number; subtotal: number; penalty: number; total: number;
}
type FloatTotals = number[]; // count, input, output, cache read, cache write, reasoning, bytes, ms, estimated, missing, the 9 cost lines, unpriced

/**
 * The float loop with the same work around the arithmetic as the exact side: each stream's priced
 * amounts finalised into a record (the open record's fields, the usage and the amounts, as floats:
 * no strings, no rounding), the records streamed through a generator into a report that keeps
 * records ended in the period and sums, per provider and model (nested maps on the records' own
 * strings, as buildUsageReport does), the same measures: counts, tokens, bytes, milliseconds, flags
 * and the nine cost lines (taxes 0: the shipped tables have none). The arithmetic is float()'s,
 * written out again so that float() stays the loop the earlier rounds measured.
 */
function* floatRecords(inputs: Input[], prices: Map<StreamBillingConfig, FloatPrices>): Generator<FloatRecord> {
  for (let i = 0; i < inputs.length; i++) {
    const x = inputs[i]!;
    const p = prices.get(x.config)!;
    const u = x.metered.usage!;
    const tokens = u.inputTokens! + u.outputTokens!;
    const tokenCost = ((u.inputTokens! - u.cacheReadTokens!) * p.input + u.cacheReadTokens! * p.cacheRead + u.outputTokens! * p.output) / 1000;
    const before = x.context.periodTokensBefore!;
    let rate = 0;
    if (p.graduated) {
      for (let t = 0; t < p.tiers.length; t++) {
        const lo = p.tiers[t]![0];
        const hi = t + 1 < p.tiers.length ? p.tiers[t + 1]![0] : before + tokens;
        const n = Math.min(before + tokens, hi) - Math.max(before, lo);
        if (n > 0) rate += (n * p.tiers[t]![1]) / tokens;
      }
    } else for (const [th, r] of p.tiers) if (before + tokens >= th) rate = r;
    const discount = tokenCost * rate;
    const seconds = x.metered.durationMs / 1000;
    const streaming = seconds * p.perSecond + (x.metered.bytes / 1e6) * p.perMB;
    const premium = Math.max(0, x.metered.bytes / 1000 - p.premiumKB) * p.perKB;
    const infrastructure = (x.metered.connections ?? 1) * p.perConnection + (seconds / 3600) * p.perHour;
    const subtotal = tokenCost - discount + streaming + premium + infrastructure;
    const sla = x.context.sla!;
    let pen = 0;
    if (Number(sla.uptimePercent) < p.uptimeMin) pen += p.uptimePenalty;
    if (Number(sla.latencyMs) > p.latencyMax) pen += p.latencyPenalty;
    const penalty = subtotal * Math.min(pen, p.cap);
    const total = subtotal - penalty;
    const r = x.record;
    yield {
      id: r.id, streamId: r.streamId, idempotencyKey: r.idempotencyKey, tenantId: r.tenantId, apiKeyId: r.apiKeyId, userId: r.userId,
      provider: r.provider, model: r.model, purpose: r.purpose, state: 'final', endReason: 'complete', startedAt: r.startedAt, endedAt: ENDED_AT,
      usageEstimated: u.estimated === true, usageMissing: false, inputTokens: u.inputTokens, cacheReadTokens: u.cacheReadTokens,
      cacheWriteTokens: u.cacheWriteTokens, outputTokens: u.outputTokens, reasoningTokens: u.reasoningTokens,
      durationMs: x.metered.durationMs, bytes: x.metered.bytes, connections: x.metered.connections ?? 1, currency: r.currency, pricingConfigId: x.config.id, unpriced: x.config.unpriced,
      tokenCost, discount, streaming, premium, infrastructure, subtotal, penalty, total,
    };
  }
}
function floatReport(records: Iterable<FloatRecord>, from: string, to: string): number {
  const root = new Map<string, Map<string, FloatTotals>>();
  const groups: FloatTotals[] = [];
  let currency: string | undefined;
  for (const r of records) {
    if (r.state !== 'final' || !(r.endedAt >= from && r.endedAt < to)) continue;
    currency ??= r.currency;
    if (r.currency !== currency) throw new Error(`Record ${r.id} is in ${r.currency}, the report in ${currency}.`);
    let byModel = root.get(r.provider);
    if (!byModel) root.set(r.provider, (byModel = new Map()));
    let g = byModel.get(r.model);
    if (!g) {
      byModel.set(r.model, (g = new Array<number>(20).fill(0)));
      groups.push(g);
    }
    g[0]! += 1;
    g[1]! += r.inputTokens ?? 0;
    g[2]! += r.outputTokens ?? 0;
    g[3]! += r.cacheReadTokens ?? 0;
    g[4]! += r.cacheWriteTokens ?? 0;
    g[5]! += r.reasoningTokens ?? 0;
    g[6]! += r.bytes;
    g[7]! += r.durationMs;
    if (r.usageEstimated) g[8]! += 1;
    if (r.usageMissing) g[9]! += 1;
    g[10]! += r.tokenCost;
    g[11]! += r.discount;
    g[12]! += r.streaming;
    g[13]! += r.premium;
    g[14]! += r.infrastructure;
    g[15]! += r.subtotal;
    g[16]! += r.penalty;
    g[18]! += r.total; // 17: taxes, none
    if (r.unpriced) g[19]! += 1;
  }
  let total = 0;
  for (const g of groups) total += g[18]!;
  return total;
}

/** Median of the last `n` samples (the warm-up run is dropped). */
function median(samples: number[], n: number): number {
  const s = samples.slice(-n).sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

// Everything lives inside main() so the million inputs are garbage once it returns (scripts/run-benches.ts
// imports the benches one after another in one process).
async function main(): Promise<void> {
  const inputs = makeInputs(N);
  const prices = new Map(DEFAULT_PRICING.map((c) => [c, floatPrices(c)]));
  let exactTotal = '';
  let floatTotal = 0;
  let floatReportTotal = 0;
  // CPU time per run beside tinybench's wall time: on a shared machine the wall clock also counts
  // the time other processes held the CPU. (It includes V8's parallel GC threads.)
  const cpu = new Map<string, number[]>();
  const withCpu = (name: string, fn: () => void) => () => {
    const before = process.cpuUsage();
    fn();
    const used = process.cpuUsage(before);
    let list = cpu.get(name);
    if (!list) cpu.set(name, (list = []));
    list.push((used.user + used.system) / 1000);
  };

  const exactName = `twin exact: price + aggregate ${N.toLocaleString('en')} records`;
  const floatName = `plain float loop over the same ${N.toLocaleString('en')} records`;
  const floatReportName = `float loop + records + the same report`;
  const bench = new Bench({ name: 'billing', iterations: ITERATIONS, time: 0, warmupIterations: 1, warmupTime: 0 });
  bench
    .add(exactName, withCpu(exactName, () => {
      exactTotal = exact(inputs).totals.cost.total!;
    }))
    .add(floatName, withCpu(floatName, () => {
      floatTotal = float(inputs, prices);
    }))
    .add(floatReportName, withCpu(floatReportName, () => {
      floatReportTotal = floatReport(floatRecords(inputs, prices), '2025-06-01T00:00:00.000Z', '2025-07-01T00:00:00.000Z');
    }));
  await bench.run();

  const rows = bench.tasks.map((t) => {
    const r = t.result;
    return { name: t.name, median: r && 'latency' in r ? r.latency.p50 : Number.NaN, cpu: median(cpu.get(t.name) ?? [], ITERATIONS) };
  });
  console.log(`billing (${N.toLocaleString('en')} records, ${ITERATIONS} iterations, medians; wall and CPU time)`);
  for (const row of rows) {
    console.log(`  ${row.name.padEnd(58)} ${row.median.toFixed(0).padStart(7)} ms wall ${row.cpu.toFixed(0).padStart(7)} ms CPU  (${((row.median * 1000) / N).toFixed(2)} µs/record wall)`);
  }
  const [e, f, fr] = rows as [(typeof rows)[number], (typeof rows)[number], (typeof rows)[number]];
  const target = N === 1_000_000 ? `   target 1M ≤ 2,000 ms: ${e.median <= 2000 ? 'met' : 'not met'} (wall), ${e.cpu <= 2000 ? 'met' : 'not met'} (CPU)` : '';
  console.log(`  ratio exact / float: ${(e.median / f.median).toFixed(1)}× wall, ${(e.cpu / f.cpu).toFixed(1)}× CPU${target}`);
  // The float loop above does the arithmetic and sums nine lines; the exact side also finalises a
  // record per stream and reports every measure. The float loop with that work too, for comparison.
  console.log(`  ratio exact / (float loop + records + the same report): ${(e.median / fr.median).toFixed(1)}× wall, ${(e.cpu / fr.cpu).toFixed(1)}× CPU`);
  console.log(`  report total (exact, sum of 6-place bills): ${exactTotal} USD; float loop (unrounded per stream): ${floatTotal}; with records and the report: ${floatReportTotal}`);

  // Drift: the very same decimal amounts (each stream's 6-place bill total) summed as binary floats.
  let sum = 0;
  for (const r of finalRecords(inputs)) sum += Number(r.lines!.total);
  console.log(`  the same ${N.toLocaleString('en')} bill totals summed as floats: ${sum} (exact ${exactTotal}; drift ${(sum - Number(exactTotal)).toExponential(2)})`);
}

await main();
