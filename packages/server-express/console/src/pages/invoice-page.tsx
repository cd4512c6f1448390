import { INVOICE_TOTAL_LABELS } from '@twin/core';
import { Fragment, useCallback, useState } from 'react';
import { api, apiText, messageOf } from '../api';
import type { Invoice } from '../api-types';
import { ErrorMessage } from '../error-message';
import { FieldError, FormError } from '../field-error';
import { formatMoney, formatTime } from '../format';
import { saveFile } from '../save-file';
import { href } from '../use-hash-route';
import { useLoad } from '../use-load';
import { useSubmit } from '../use-submit';
import { TableHead } from '../table-head';

/** Cancels an issued invoice in full with a credit note (admin keys). */
function CreditNoteForm({ number, onIssued }: { number: string; onIssued: (note: Invoice) => void }) {
  const { busy, error, submit } = useSubmit(async (f) => {
    const reason = String(f.get('reason') ?? '').trim();
    onIssued((await api<{ invoice: Invoice }>(`/api/billing/invoices/${encodeURIComponent(number)}/credit-note`, { method: 'POST', body: JSON.stringify({ reason }) })).invoice);
  });
  return (
    <form className="inline" onSubmit={submit} data-testid="credit-note-form">
      <label>
        Reason <input name="reason" aria-label="Credit note reason" size={40} maxLength={500} placeholder="Billed twice, wrong customer…" />
      </label>
      <button type="submit" disabled={busy}>
        Issue credit note
      </button>
      <FieldError error={error} field="reason" />
      <FormError error={error} fields={['reason']} />
    </form>
  );
}

/** One invoice or credit note: lines with units, taxes, totals in its currency; downloads; credit note. */
export function InvoicePage({ number, admin }: { number: string; admin: boolean }) {
  const [invoice, setInvoice] = useState<Invoice>();
  const [creditNotes, setCreditNotes] = useState<Invoice[]>([]);
  const { error, setError, reload: load } = useLoad(
    useCallback(async () => {
      const { invoice: inv } = await api<{ invoice: Invoice }>(`/api/billing/invoices/${encodeURIComponent(number)}`);
      setInvoice(inv);
      const { invoices } = await api<{ invoices: Invoice[] }>(`/api/billing/invoices?tenantId=${encodeURIComponent(inv.tenantId)}`);
      setCreditNotes(invoices.filter((i) => i.kind === 'credit_note' && i.refersTo === inv.number));
    }, [number]),
  );

  const download = async (format: 'json' | 'csv' | 'html') => {
    if (!invoice) return;
    try {
      if (format === 'json') saveFile(`${invoice.number}.json`, JSON.stringify(invoice, null, 2), 'application/json');
      else saveFile(`${invoice.number}.${format}`, await apiText(`/api/billing/invoices/${encodeURIComponent(invoice.number)}?format=${format}`), format === 'csv' ? 'text/csv' : 'text/html');
    } catch (err) {
      setError(messageOf(err));
    }
  };

  if (error && !invoice) return <ErrorMessage message={error} />;
  if (!invoice) return <p>Loading…</p>;
  const money = (amount: string | undefined) => formatMoney(amount, invoice.currency);
  return (
    <section data-testid="invoice" data-number={invoice.number}>
      <p>
        <a href={href('invoices')}>← Invoices</a>
      </p>
      <h1>
        {invoice.kind === 'credit_note' ? 'Credit note' : 'Invoice'} <span className="mono">{invoice.number}</span>
      </h1>
      <p>
        tenant <b>{invoice.tenantId}</b>
        {invoice.customer.name ? ` · ${invoice.customer.name}` : ''}
        {invoice.customer.jurisdiction ? ` · ${invoice.customer.jurisdiction}` : ''} · period {formatTime(invoice.period.from)} – {formatTime(invoice.period.to)} · issued{' '}
        {formatTime(invoice.issuedAt)} · currency <b>{invoice.currency}</b>
      </p>
      {invoice.refersTo && (
        <p>
          Cancels <a href={href('invoices', invoice.refersTo)}>{invoice.refersTo}</a>: {invoice.reason}
        </p>
      )}
      <p>
        {invoice.recordCount} streams billed
        {invoice.estimatedCount ? `, ${invoice.estimatedCount} with estimated usage` : ''}
        {invoice.unpricedCount ? `, ${invoice.unpricedCount} on unpriced models (token cost unknown)` : ''}.
        {invoice.exchangeRates.map((r) => ` ${r.from}→${r.to} at ${r.rate} (${r.records} streams).`)}
      </p>
      <div className="controls">
        Download{' '}
        <button type="button" onClick={() => download('json')}>
          JSON
        </button>
        <button type="button" onClick={() => download('csv')}>
          CSV
        </button>
        <button type="button" onClick={() => download('html')}>
          Printable HTML
        </button>
      </div>
      <ErrorMessage message={error} />
      <table data-testid="invoice-lines">
        <TableHead columns={['provider / model', 'description', 'quantity', 'unit', 'amount']} />
        <tbody>
          {invoice.lines.map((l, i) => (
            <tr key={i}>
              <td className="mono">
                {l.provider}/{l.model}
              </td>
              <td style={{ whiteSpace: 'pre' }}>{l.description}</td>
              <td>{l.quantity}</td>
              <td>{l.unit}</td>
              <td>{l.amount !== undefined ? money(l.amount) : ''}</td>
            </tr>
          ))}
          {invoice.lines.length === 0 && (
            <tr>
              <td colSpan={5}>No stream ended in this period.</td>
            </tr>
          )}
        </tbody>
      </table>
      <h2>Totals</h2>
      <table data-testid="invoice-totals">
        <tbody>
          {INVOICE_TOTAL_LABELS.map(([k, label]) => (
            <Fragment key={k}>
              <tr className={k === 'amountDue' ? 'total' : undefined}>
                <th>{label}</th>
                <td data-testid={`invoice-${k}`}>{money(invoice.totals[k])}</td>
              </tr>
              {k === 'taxableBase' &&
                invoice.taxes.map((t) => (
                  <tr key={`${t.jurisdiction}-${t.name}-${t.ratePercent}`} className="tax">
                    <th>
                      {t.name} {t.jurisdiction} ({t.ratePercent} %{t.reverseCharge ? ', reverse charge' : ''})
                    </th>
                    <td>{money(t.amount)}</td>
                  </tr>
                ))}
            </Fragment>
          ))}
        </tbody>
      </table>
      {invoice.kind === 'invoice' && (
        <>
          <h2>Credit note</h2>
          {creditNotes.length > 0 ? (
            <ul className="plain" data-testid="credit-notes">
              {creditNotes.map((n) => (
                <li key={n.number} data-number={n.number}>
                  <a href={href('invoices', n.number)} className="mono">
                    {n.number}
                  </a>{' '}
                  {formatTime(n.issuedAt)}: <span data-testid="credit-total">{money(n.totals.total)}</span> ({n.reason})
                </li>
              ))}
            </ul>
          ) : admin ? (
            <CreditNoteForm number={invoice.number} onIssued={() => void load()} />
          ) : (
            <p className="hint">None. Credit notes are issued with an admin key.</p>
          )}
        </>
      )}
    </section>
  );
}
