import { TwinError } from '../../errors/twin-error';
import type { StreamBillingRecord } from '../../protocol/billing';
import type { BillingProfile } from '../billing-profile';
import { deepFreeze } from '../../util/deep-freeze';
import { BillLinesSum } from '../bill-lines-sum';
import { DecimalSum } from '../decimal-sum';
import { roundRational } from '../round-rational';
import { invoiceTotals, type InvoiceTotals } from './invoice-totals';

/** One line of an invoice: a quantity in a unit, and its amount (exact sum of the records' lines). */
export interface InvoiceLine {
  provider: string;
  model: string;
  description: string;
  quantity: string;
  unit: '1K tokens' | 'second' | 'MB' | 'connection' | 'stream';
  /** Absent on lines that only count (streams, the token buckets that make up the token cost). */
  amount?: string;
}

/** A tax of the invoice: the sum of that tax's lines over the period's records. */
export interface InvoiceTax {
  jurisdiction: string;
  name: string;
  ratePercent: string;
  reverseCharge?: boolean;
  amount: string;
}

/**
 * An invoice (or a credit note correcting one) for one tenant and one period. Immutable once issued:
 * it is built frozen and storage never updates it; a correction is a credit note that refers to it.
 */
export interface Invoice {
  kind: 'invoice' | 'credit_note';
  number: string;
  tenantId: string;
  customer: { name?: string; address?: string[]; jurisdiction?: string };
  currency: string;
  period: { from: string; to: string };
  issuedAt: string;
  /** A credit note's invoice, and why it was issued. */
  refersTo?: string;
  reason?: string;
  /** Records aggregated; of them, how many had estimated usage and how many were on unpriced models. */
  recordCount: number;
  estimatedCount: number;
  unpricedCount: number;
  /** Exchange rates the records were billed with (recorded on each record at billing time). */
  exchangeRates: { from: string; to: string; rate: string; records: number }[];
  lines: InvoiceLine[];
  taxes: InvoiceTax[];
  totals: InvoiceTotals;
}

export interface BuildInvoiceInput {
  number: string;
  profile: BillingProfile;
  /** The period `[from, to)`: records whose stream ENDED in it (when they were billed) are invoiced. */
  period: { from: Date | string; to: Date | string };
  issuedAt: Date | string;
  records: Iterable<StreamBillingRecord>;
}

interface Group {
  provider: string;
  model: string;
  streams: number;
  tokens: [DecimalSum, DecimalSum, DecimalSum, DecimalSum, DecimalSum];
  ms: number;
  bytes: number;
  connections: number;
  cost: BillLinesSum;
}

const iso = (t: Date | string) => (t instanceof Date ? t : new Date(t)).toISOString();

const TOKEN_LINES = ['Input tokens (incl. cached)', 'Cached input tokens (read)', 'Cached input tokens (write)', 'Output tokens (incl. reasoning)', 'Reasoning tokens'] as const;

/**
 * Aggregates a tenant's final records of a period into an invoice, exactly: every amount is the
 * DecimalSum of the records' amount strings (no float, no rounding), so the invoice total equals the
 * sum of its records' totals to the last digit; only `amountDue` is rounded, once, to the currency's
 * minor unit. Records in another currency than the profile's are refused (bills are converted when
 * they are made, with the rate recorded on each record; the invoice lists those rates).
 */
export function buildInvoice(input: BuildInvoiceInput): Invoice {
  const { profile } = input;
  const from = Date.parse(iso(input.period.from));
  const to = Date.parse(iso(input.period.to));
  const groups = new Map<string, Group>();
  const taxes = new Map<string, { tax: Omit<InvoiceTax, 'amount'>; sum: DecimalSum }>();
  const totals = new BillLinesSum();
  const rates = new Map<string, { from: string; to: string; rate: string; records: number }>();
  let recordCount = 0;
  let estimatedCount = 0;
  let unpricedCount = 0;
  for (const r of input.records) {
    if (r.tenantId !== profile.tenantId || r.state !== 'final' || !r.endedAt) continue;
    const ended = Date.parse(r.endedAt);
    if (!(ended >= from && ended < to)) continue;
    if (r.currency !== profile.currency) {
      throw new TwinError('conflict', `Record ${r.id} is billed in ${r.currency}, the invoice in ${profile.currency}: records are converted when billed, with the rate recorded on them.`, { details: { recordId: r.id } });
    }
    recordCount++;
    if (r.usageEstimated) estimatedCount++;
    if (r.unpriced) unpricedCount++;
    if (r.exchangeRate) {
      const k = `${r.exchangeRate.from}>${r.exchangeRate.to}@${r.exchangeRate.rate}`;
      const rate = rates.get(k) ?? { ...r.exchangeRate, records: 0 };
      rate.records++;
      rates.set(k, rate);
    }
    const key = `${r.provider}\u0000${r.model}`;
    let g = groups.get(key);
    if (!g) {
      g = { provider: r.provider, model: r.model, streams: 0, tokens: [new DecimalSum(), new DecimalSum(), new DecimalSum(), new DecimalSum(), new DecimalSum()], ms: 0, bytes: 0, connections: 0, cost: new BillLinesSum() };
      groups.set(key, g);
    }
    g.streams++;
    [r.inputTokens, r.cacheReadTokens, r.cacheWriteTokens, r.outputTokens, r.reasoningTokens].forEach((n, i) => g.tokens[i]!.add(String(n ?? 0)));
    g.ms += r.durationMs;
    g.bytes += r.bytes;
    g.connections += r.connections ?? 1;
    const l = r.lines;
    if (!l) continue;
    g.cost.add(l);
    totals.add(l);
    for (const t of l.taxes) {
      const k = `${t.jurisdiction}\u0000${t.name}\u0000${t.ratePercent}\u0000${t.reverseCharge === true}`;
      let entry = taxes.get(k);
      if (!entry) taxes.set(k, (entry = { tax: { jurisdiction: t.jurisdiction, name: t.name, ratePercent: t.ratePercent, ...(t.reverseCharge ? { reverseCharge: true } : {}) }, sum: new DecimalSum() }));
      entry.sum.add(t.amount);
    }
  }
  const lines: InvoiceLine[] = [];
  const sorted = [...groups.values()].sort((a, b) => (a.provider + '\u0000' + a.model < b.provider + '\u0000' + b.model ? -1 : 1));
  for (const g of sorted) {
    const { cost } = g;
    const line = (description: string, quantity: string, unit: InvoiceLine['unit'], amount?: string) =>
      lines.push({ provider: g.provider, model: g.model, description, quantity, unit, ...(amount === undefined ? {} : { amount }) });
    const thousands = (sum: DecimalSum) => {
      const q = sum.toRational();
      return roundRational({ n: q.n, d: q.d * 1000n }, 3, 'half-up');
    };
    line('Streams', String(g.streams), 'stream');
    g.tokens.forEach((sum, i) => {
      if (sum.toRational().n !== 0n) line(`  ${TOKEN_LINES[i]!}`, thousands(sum), '1K tokens');
    });
    const billable = new DecimalSum().addSum(g.tokens[0]).addSum(g.tokens[3]);
    line('Token cost', thousands(billable), '1K tokens', cost.tokenCost.toString());
    if (cost.discount.toRational().n !== 0n) line('Volume discount', String(g.streams), 'stream', `-${cost.discount.toString()}`);
    line('Streaming (time and data)', roundRational({ n: BigInt(g.ms), d: 1000n }, 3, 'half-up'), 'second', cost.streaming.toString());
    if (cost.bandwidthPremium.toRational().n !== 0n) line('Bandwidth premium', roundRational({ n: BigInt(g.bytes), d: 1_000_000n }, 6, 'half-up'), 'MB', cost.bandwidthPremium.toString());
    line('Infrastructure (connections and time)', String(g.connections), 'connection', cost.infrastructure.toString());
  }
  const invoice: Invoice = {
    kind: 'invoice',
    number: input.number,
    tenantId: profile.tenantId,
    customer: { ...(profile.name ? { name: profile.name } : {}), ...(profile.address ? { address: profile.address } : {}), ...(profile.jurisdiction ? { jurisdiction: profile.jurisdiction } : {}) },
    currency: profile.currency,
    period: { from: iso(input.period.from), to: iso(input.period.to) },
    issuedAt: iso(input.issuedAt),
    recordCount,
    estimatedCount,
    unpricedCount,
    exchangeRates: [...rates.values()],
    lines,
    taxes: [...taxes.values()].map((t) => ({ ...t.tax, amount: t.sum.toString() })),
    totals: invoiceTotals(totals, profile.invoiceMinorUnits),
  };
  return deepFreeze(invoice);
}

function negate(s: string): string {
  if (/^-?0(\.0+)?$/.test(s)) return s.replace('-', '');
  return s.startsWith('-') ? s.slice(1) : `-${s}`;
}

/**
 * A credit note reversing an issued invoice in full (the correction of an immutable invoice): the
 * same lines, taxes and totals with their signs turned, referring to the invoice's number.
 */
export function buildCreditNote(invoice: Invoice, input: { number: string; issuedAt: Date | string; reason: string }): Invoice {
  if (invoice.kind !== 'invoice') throw new TwinError('invalid_argument', 'A credit note corrects an invoice, not another credit note.');
  const totals = Object.fromEntries(Object.entries(invoice.totals).map(([k, v]) => [k, negate(v)])) as unknown as InvoiceTotals;
  return deepFreeze({
    ...invoice,
    kind: 'credit_note',
    number: input.number,
    issuedAt: iso(input.issuedAt),
    refersTo: invoice.number,
    reason: input.reason,
    lines: invoice.lines.map((l) => (l.amount === undefined ? l : { ...l, amount: negate(l.amount) })),
    taxes: invoice.taxes.map((t) => ({ ...t, amount: negate(t.amount) })),
    totals,
  });
}
