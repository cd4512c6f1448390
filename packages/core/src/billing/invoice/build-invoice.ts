import { TwinError } from '../../errors/twin-error';
import type { StreamBillingRecord } from '../../protocol/billing';
import type { BillingProfile } from '../billing-profile';
import { DecimalSum } from '../decimal-sum';
import { parseDecimal, sub } from '../rational';
import { roundRational } from '../round-rational';

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

/** The invoice totals. Every amount is the exact sum of the records'; `amountDue` is `total` rounded once. */
export interface InvoiceTotals {
  tokenCost: string;
  discount: string;
  streaming: string;
  bandwidthPremium: string;
  infrastructure: string;
  subtotal: string;
  slaPenalty: string;
  taxableBase: string;
  taxTotal: string;
  total: string;
  /** `total` rounded once to the profile's `invoiceMinorUnits`, half-up. */
  amountDue: string;
  /** amountDue − total. */
  roundingAdjustment: string;
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

const iso = (t: Date | string) => (t instanceof Date ? t : new Date(t)).toISOString();

interface Group {
  provider: string;
  model: string;
  streams: number;
  tokens: [DecimalSum, DecimalSum, DecimalSum, DecimalSum, DecimalSum];
  ms: number;
  bytes: number;
  connections: number;
  tokenCost: DecimalSum;
  discount: DecimalSum;
  streaming: DecimalSum;
  premium: DecimalSum;
  infrastructure: DecimalSum;
}

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
  const totals = { tokenCost: new DecimalSum(), discount: new DecimalSum(), streaming: new DecimalSum(), bandwidthPremium: new DecimalSum(), infrastructure: new DecimalSum(), subtotal: new DecimalSum(), slaPenalty: new DecimalSum(), taxTotal: new DecimalSum(), total: new DecimalSum() };
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
      g = { provider: r.provider, model: r.model, streams: 0, tokens: [new DecimalSum(), new DecimalSum(), new DecimalSum(), new DecimalSum(), new DecimalSum()], ms: 0, bytes: 0, connections: 0, tokenCost: new DecimalSum(), discount: new DecimalSum(), streaming: new DecimalSum(), premium: new DecimalSum(), infrastructure: new DecimalSum() };
      groups.set(key, g);
    }
    g.streams++;
    [r.inputTokens, r.cacheReadTokens, r.cacheWriteTokens, r.outputTokens, r.reasoningTokens].forEach((n, i) => g.tokens[i]!.add(String(n ?? 0)));
    g.ms += r.durationMs;
    g.bytes += r.bytes;
    g.connections += r.connections ?? 1;
    const l = r.lines;
    if (!l) continue;
    g.tokenCost.add(l.tokenCost);
    g.discount.add(l.discount);
    g.streaming.add(l.streaming);
    g.premium.add(l.bandwidthPremium);
    g.infrastructure.add(l.infrastructure);
    totals.tokenCost.add(l.tokenCost);
    totals.discount.add(l.discount);
    totals.streaming.add(l.streaming);
    totals.bandwidthPremium.add(l.bandwidthPremium);
    totals.infrastructure.add(l.infrastructure);
    totals.subtotal.add(l.subtotal);
    totals.slaPenalty.add(l.slaPenalty);
    totals.total.add(l.total);
    for (const t of l.taxes) {
      const k = `${t.jurisdiction}\u0000${t.name}\u0000${t.ratePercent}\u0000${t.reverseCharge === true}`;
      let entry = taxes.get(k);
      if (!entry) taxes.set(k, (entry = { tax: { jurisdiction: t.jurisdiction, name: t.name, ratePercent: t.ratePercent, ...(t.reverseCharge ? { reverseCharge: true } : {}) }, sum: new DecimalSum() }));
      entry.sum.add(t.amount);
      totals.taxTotal.add(t.amount);
    }
  }
  const lines: InvoiceLine[] = [];
  const sorted = [...groups.values()].sort((a, b) => (a.provider + '\u0000' + a.model < b.provider + '\u0000' + b.model ? -1 : 1));
  for (const g of sorted) {
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
    line('Token cost', thousands(billable), '1K tokens', g.tokenCost.toString());
    if (g.discount.toRational().n !== 0n) line('Volume discount', String(g.streams), 'stream', `-${g.discount.toString()}`);
    line('Streaming (time and data)', roundRational({ n: BigInt(g.ms), d: 1000n }, 3, 'half-up'), 'second', g.streaming.toString());
    if (g.premium.toRational().n !== 0n) line('Bandwidth premium', roundRational({ n: BigInt(g.bytes), d: 1_000_000n }, 6, 'half-up'), 'MB', g.premium.toString());
    line('Infrastructure (connections and time)', String(g.connections), 'connection', g.infrastructure.toString());
  }
  const total = totals.total.toString();
  const amountDue = roundRational(parseDecimal(total), profile.invoiceMinorUnits, 'half-up');
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
    totals: {
      tokenCost: totals.tokenCost.toString(),
      discount: totals.discount.toString(),
      streaming: totals.streaming.toString(),
      bandwidthPremium: totals.bandwidthPremium.toString(),
      infrastructure: totals.infrastructure.toString(),
      subtotal: totals.subtotal.toString(),
      slaPenalty: totals.slaPenalty.toString(),
      taxableBase: roundRational(sub(totals.subtotal.toRational(), totals.slaPenalty.toRational()), Math.max(decimals(totals.subtotal.toString()), decimals(totals.slaPenalty.toString())), 'half-up'),
      taxTotal: totals.taxTotal.toString(),
      total,
      amountDue,
      roundingAdjustment: roundRational(sub(parseDecimal(amountDue), parseDecimal(total)), Math.max(decimals(total), profile.invoiceMinorUnits), 'half-up'),
    },
  };
  return deepFreeze(invoice);
}

function decimals(s: string): number {
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : s.length - dot - 1;
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

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
