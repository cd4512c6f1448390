import type { Invoice } from './build-invoice';
import { INVOICE_TOTAL_LABELS } from './invoice-total-labels';

/** RFC 4180 field: quoted when it holds a comma, quote, or line break; quotes doubled. */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * The invoice as CSV (RFC 4180, CRLF): one row per line, tax and total, amounts as the exact decimal
 * strings of the JSON invoice, so a spreadsheet import re-adds to the same totals.
 */
export function invoiceToCsv(invoice: Invoice): string {
  const rows: string[][] = [['section', 'provider', 'model', 'description', 'quantity', 'unit', 'amount', 'currency']];
  for (const l of invoice.lines) rows.push(['line', l.provider, l.model, l.description.trim(), l.quantity, l.unit, l.amount ?? '', invoice.currency]);
  for (const t of invoice.taxes) rows.push(['tax', '', '', `${t.name} (${t.jurisdiction})${t.reverseCharge ? ' reverse charge' : ''}`, t.ratePercent, 'percent', t.amount, invoice.currency]);
  for (const [name, value] of Object.entries(invoice.totals)) rows.push(['total', '', '', name, '', '', value, invoice.currency]);
  return rows.map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

/**
 * A printable HTML page of the invoice (A4, one self-contained document, no scripts or remote
 * resources). Every amount is printed as the JSON invoice has it; `data-total` attributes let a
 * test or a tool read the totals back from the page.
 */
export function invoiceToHtml(invoice: Invoice): string {
  const title = `${invoice.kind === 'credit_note' ? 'Credit note' : 'Invoice'} ${invoice.number}`;
  const c = invoice.customer;
  const lines = invoice.lines
    .map((l) => `<tr><td>${esc(l.provider)}/${esc(l.model)}</td><td class="${l.description.startsWith(' ') ? 'sub' : ''}">${esc(l.description.trim())}</td><td class="num">${esc(l.quantity)}</td><td>${esc(l.unit)}</td><td class="num">${esc(l.amount ?? '')}</td></tr>`)
    .join('\n');
  const taxes = invoice.taxes
    .map((t) => `<tr><td colspan="2">${esc(t.name)} (${esc(t.jurisdiction)})${t.reverseCharge ? ', reverse charge: the customer accounts for it' : ''}</td><td class="num">${esc(t.ratePercent)}</td><td>%</td><td class="num">${esc(t.amount)}</td></tr>`)
    .join('\n');
  // The discount and the SLA credit are subtracted: printed with a minus sign; data-total keeps the JSON value.
  const shown = (k: keyof Invoice['totals']) => ((k === 'discount' || k === 'slaPenalty') && !/^-?0(\.0+)?$/.test(invoice.totals[k]) ? `−${invoice.totals[k]}` : invoice.totals[k]);
  const totals = INVOICE_TOTAL_LABELS.map(([k, label]) => `<tr class="${k === 'amountDue' ? 'due' : ''}"><th>${label}</th><td class="num" data-total="${k}" data-value="${esc(invoice.totals[k])}">${esc(shown(k))}</td><td>${esc(invoice.currency)}</td></tr>`).join('\n');
  const rates = invoice.exchangeRates.map((r) => `${esc(r.from)} → ${esc(r.to)} at ${esc(r.rate)} (${r.records} streams)`).join('; ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
@page { size: A4; margin: 18mm; }
body { font: 10pt/1.4 system-ui, sans-serif; color: #111; }
h1 { font-size: 18pt; margin: 0 0 4mm; }
table { border-collapse: collapse; width: 100%; margin: 4mm 0; }
th, td { padding: 1mm 2mm; border-bottom: 0.2mm solid #ccc; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.sub { padding-left: 6mm; color: #555; }
table.totals { width: 60%; margin-left: auto; }
tr.due th, tr.due td { font-weight: bold; border-top: 0.4mm solid #111; }
.meta { display: flex; justify-content: space-between; }
.note { color: #555; font-size: 8.5pt; }
</style></head>
<body>
<h1>${esc(title)}</h1>
<div class="meta">
<div><strong>${esc(c.name ?? invoice.tenantId)}</strong><br>${(c.address ?? []).map(esc).join('<br>')}${c.jurisdiction ? `<br>Tax jurisdiction: ${esc(c.jurisdiction)}` : ''}</div>
<div>Number: ${esc(invoice.number)}<br>Issued: ${esc(invoice.issuedAt.slice(0, 10))}<br>Period: ${esc(invoice.period.from.slice(0, 10))} to ${esc(invoice.period.to.slice(0, 10))} (exclusive)<br>Currency: ${esc(invoice.currency)}${invoice.refersTo ? `<br>Corrects invoice ${esc(invoice.refersTo)}: ${esc(invoice.reason ?? '')}` : ''}</div>
</div>
<table class="lines"><thead><tr><th>Model</th><th>Item</th><th class="num">Quantity</th><th>Unit</th><th class="num">Amount</th></tr></thead>
<tbody>
${lines}
${taxes}
</tbody></table>
<table class="totals"><tbody>
${totals}
</tbody></table>
<p class="note">${invoice.recordCount} streams billed; amounts are exact sums of the per-stream bills, rounded once to the amount due.${invoice.estimatedCount ? ` ${invoice.estimatedCount} streams had usage estimated with a tokenizer.` : ''}${invoice.unpricedCount ? ` ${invoice.unpricedCount} streams were on models without a price: their token cost is not included.` : ''}${rates ? ` Exchange rates recorded when billed: ${rates}.` : ''}</p>
</body></html>
`;
}
