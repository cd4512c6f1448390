import { describe, expect, it } from 'vitest';
import { sumDecimals } from '../decimal-sum';
import { equals, parseDecimal } from '../rational';

/** Equal as exact numbers, whatever the number of decimal places written. */
const same = (a: string, b: string) => equals(parseDecimal(a), parseDecimal(b));
import { buildCreditNote, buildInvoice } from './build-invoice';
import { DEMO_PROFILES, monthOfStreams } from './month-of-streams';
import { invoiceToCsv, invoiceToHtml } from './render-invoice';

const records = monthOfStreams(400);
const period = { from: '2026-11-01T00:00:00Z', to: '2026-12-01T00:00:00Z' };

describe('invoices from a month of mixed streams, two tenants with different currencies, jurisdictions and plans', () => {
  const invoices = DEMO_PROFILES.map((profile, i) => buildInvoice({ number: `INV-2026-11-${i + 1}`, profile, period, issuedAt: '2026-12-01T09:00:00Z', records }));

  it.each(DEMO_PROFILES.map((p, i) => [p.tenantId, i] as const))('%s: every total is the exact sum of its records', (tenantId, i) => {
    const invoice = invoices[i]!;
    const own = records.filter((r) => r.tenantId === tenantId);
    expect(invoice.recordCount).toBe(own.length);
    expect(invoice.currency).toBe(DEMO_PROFILES[i]!.currency);
    expect(invoice.totals.total).toBe(sumDecimals(own.map((r) => r.lines!.total)));
    expect(invoice.totals.subtotal).toBe(sumDecimals(own.map((r) => r.lines!.subtotal)));
    expect(invoice.totals.discount).toBe(sumDecimals(own.map((r) => r.lines!.discount)));
    expect(invoice.totals.slaPenalty).toBe(sumDecimals(own.map((r) => r.lines!.slaPenalty)));
    expect(invoice.totals.taxTotal).toBe(sumDecimals(own.flatMap((r) => r.lines!.taxes.map((t) => t.amount))));
    // The lines with amounts add up to the subtotal; the taxes to the tax total.
    const lineSum = sumDecimals(invoice.lines.flatMap((l) => (l.amount === undefined ? [] : [l.amount])));
    expect(same(lineSum, invoice.totals.subtotal)).toBe(true);
    expect(same(sumDecimals(invoice.taxes.map((t) => t.amount)), invoice.totals.taxTotal)).toBe(true);
    // subtotal − penalty + taxes = total, and the amount due is the total rounded once to cents.
    expect(same(sumDecimals([invoice.totals.subtotal, `-${invoice.totals.slaPenalty}`, invoice.totals.taxTotal]), invoice.totals.total)).toBe(true);
    expect(invoice.totals.amountDue).toMatch(/^\d+\.\d{2}$/);
    expect(same(sumDecimals([invoice.totals.total, invoice.totals.roundingAdjustment]), invoice.totals.amountDue)).toBe(true);
  });

  it('applies each tenant’s plan: EUR with German VAT for one, CAD with GST + PST (not German VAT) for the other', () => {
    const [acme, maple] = invoices;
    expect(acme!.taxes.map((t) => t.name)).toEqual(['USt']);
    expect(maple!.taxes.map((t) => t.name).sort()).toEqual(['GST', 'PST']);
    expect(acme!.exchangeRates).toEqual([{ from: 'USD', to: 'EUR', rate: '0.9215', records: 400 }]);
    expect(maple!.exchangeRates).toEqual([{ from: 'USD', to: 'CAD', rate: '1.3725', records: 400 }]);
    expect(Number(acme!.totals.discount.replace('-', ''))).toBeGreaterThan(0);
  });

  it('is immutable once issued; a credit note reverses it', () => {
    const invoice = invoices[0]!;
    expect(() => {
      (invoice.totals as { total: string }).total = '0';
    }).toThrow(TypeError);
    const credit = buildCreditNote(invoice, { number: 'CN-2026-11-1', issuedAt: '2026-12-02T00:00:00Z', reason: 'wrong plan' });
    expect(credit.kind).toBe('credit_note');
    expect(credit.refersTo).toBe(invoice.number);
    expect(sumDecimals([credit.totals.total, invoice.totals.total])).toMatch(/^0(\.0+)?$/);
  });

  it('renders as CSV and HTML carrying the same totals', () => {
    const invoice = invoices[1]!;
    const csv = invoiceToCsv(invoice);
    expect(csv).toContain(`total,,,amountDue,,,${invoice.totals.amountDue},CAD\r\n`);
    const html = invoiceToHtml(invoice);
    expect(html).toContain(`data-total="amountDue" data-value="${invoice.totals.amountDue}">${invoice.totals.amountDue}<`);
    expect(html).toContain('Maple Labs Inc.');
  });
});
