import { useCallback, useState } from 'react';
import { api } from '../api';
import type { Invoice } from '../api-types';
import { ErrorMessage } from '../error-message';
import { FieldError, FormError } from '../field-error';
import { formatMoney, formatTime } from '../format';
import { href } from '../use-hash-route';
import { useLoad } from '../use-load';
import { useSubmit } from '../use-submit';
import { TableHead } from '../table-head';

/** The month before this one, as `<input type="month">` wants it (`2026-11`). */
function lastMonth(): string {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)).toISOString().slice(0, 7);
}

/** An ISO instant typed by hand (`2026-12-06T18:00:00Z`), or the moment the form is sent when blank. */
function instant(typed: string): string {
  const t = typed.trim();
  if (!t) return new Date().toISOString();
  const parsed = new Date(t);
  // Sent as typed when unreadable: the API's 400 names the field and what it accepts.
  return Number.isNaN(parsed.getTime()) ? t : parsed.toISOString();
}

/** Issues an invoice for a month that is over, or for any `[from, to)` that ended. */
function IssueForm({ tenantId, onIssued }: { tenantId: string; onIssued: (invoice: Invoice) => void }) {
  const [mode, setMode] = useState<'month' | 'range'>('month');
  const { busy, error, submit } = useSubmit(async (f) => {
    const period = mode === 'month' ? String(f.get('month') ?? '') : { from: instant(String(f.get('from') ?? '')), to: instant(String(f.get('to') ?? '')) };
    const { invoice } = await api<{ invoice: Invoice }>('/api/billing/invoices', { method: 'POST', body: JSON.stringify({ tenantId, period }) });
    onIssued(invoice);
  });
  return (
    <form className="inline" onSubmit={submit} data-testid="issue-invoice">
      <select value={mode} onChange={(e) => setMode(e.target.value as 'month' | 'range')} aria-label="Invoice period kind">
        <option value="month">a month</option>
        <option value="range">a range</option>
      </select>
      {mode === 'month' ? (
        <label>
          Month <input name="month" type="month" defaultValue={lastMonth()} aria-label="Invoice month" required />
        </label>
      ) : (
        <>
          <label>
            From <input name="from" aria-label="Invoice from" placeholder="2026-12-01T00:00:00Z" size={22} required />
          </label>
          <label>
            To <input name="to" aria-label="Invoice to" placeholder="now" size={22} />
          </label>
        </>
      )}
      <button type="submit" disabled={busy}>
        Issue invoice
      </button>
      <FieldError error={error} field="period" />
      <FieldError error={error} field="to" />
      <FieldError error={error} field="tenantId" />
      <FormError error={error} fields={['period', 'to', 'tenantId']} />
    </form>
  );
}

/**
 * Invoices: a tenant's invoices and credit notes (`/api/billing/invoices`), issuing one for a
 * period that is over. Admins may name another tenant, as the API lets them.
 */
export function InvoicesPage({ tenantId: ownTenant, admin }: { tenantId: string; admin: boolean }) {
  const [tenantId, setTenantId] = useState(ownTenant);
  const [invoices, setInvoices] = useState<Invoice[]>();
  const { error } = useLoad(
    useCallback(async () => {
      setInvoices((await api<{ invoices: Invoice[] }>(`/api/billing/invoices?tenantId=${encodeURIComponent(tenantId)}`)).invoices);
    }, [tenantId]),
  );

  return (
    <section>
      <h1>Invoices</h1>
      <div className="controls" hidden={!admin}>
        <label>
          Tenant{' '}
          <input
            defaultValue={ownTenant}
            aria-label="Tenant"
            size={16}
            onKeyDown={(e) => e.key === 'Enter' && setTenantId(e.currentTarget.value.trim() || ownTenant)}
            onBlur={(e) => setTenantId(e.currentTarget.value.trim() || ownTenant)}
          />
        </label>
      </div>
      <ErrorMessage message={error} />
      <table data-testid="invoices">
        <TableHead columns={['number', 'kind', 'period', 'issued', 'streams', 'total', 'amount due', 'refers to']} />
        <tbody>
          {(invoices ?? []).map((inv) => (
            <tr key={inv.number} data-number={inv.number} data-kind={inv.kind}>
              <td className="mono">
                <a href={href('invoices', inv.number)}>{inv.number}</a>
              </td>
              <td>{inv.kind === 'credit_note' ? 'credit note' : 'invoice'}</td>
              <td>
                {formatTime(inv.period.from)} – {formatTime(inv.period.to)}
              </td>
              <td>{formatTime(inv.issuedAt)}</td>
              <td>{inv.recordCount}</td>
              <td>{formatMoney(inv.totals.total, inv.currency)}</td>
              <td>{formatMoney(inv.totals.amountDue, inv.currency)}</td>
              <td className="mono">{inv.refersTo ?? ''}</td>
            </tr>
          ))}
          {invoices?.length === 0 && (
            <tr>
              <td colSpan={8}>No invoice issued for {tenantId}.</td>
            </tr>
          )}
        </tbody>
      </table>
      {admin ? (
        <>
          <h2>Issue an invoice for {tenantId}</h2>
          <IssueForm tenantId={tenantId} onIssued={(inv) => (window.location.hash = href('invoices', inv.number))} />
        </>
      ) : (
        <p className="hint">Invoices are issued with an admin key.</p>
      )}
      <p className="hint">
        An invoice covers the final bills whose stream ended in the period, summed exactly; its period must be over, and one invoice stands per
        period (cancel it with a credit note to issue it again). Amounts are in the tenant&apos;s billing-profile currency.
      </p>
    </section>
  );
}
