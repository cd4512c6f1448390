import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api, messageOf } from '../api';
import type { Invoice } from '../api-types';
import { FieldError, FormError } from '../field-error';
import { formatMoney, formatTime } from '../format';
import { href } from '../use-hash-route';

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
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const period = mode === 'month' ? String(f.get('month') ?? '') : { from: instant(String(f.get('from') ?? '')), to: instant(String(f.get('to') ?? '')) };
    setBusy(true);
    setError(undefined);
    try {
      const { invoice } = await api<{ invoice: Invoice }>('/api/billing/invoices', { method: 'POST', body: JSON.stringify({ tenantId, period }) });
      onIssued(invoice);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
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
  const [error, setError] = useState<string>();
  const load = useCallback(async () => {
    try {
      setInvoices((await api<{ invoices: Invoice[] }>(`/api/billing/invoices?tenantId=${encodeURIComponent(tenantId)}`)).invoices);
      setError(undefined);
    } catch (err) {
      setError(messageOf(err));
    }
  }, [tenantId]);
  useEffect(() => {
    void load();
  }, [load]);

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
      {error && <p role="alert" className="error">{error}</p>}
      <table data-testid="invoices">
        <thead>
          <tr>
            <th>number</th>
            <th>kind</th>
            <th>period</th>
            <th>issued</th>
            <th>streams</th>
            <th>total</th>
            <th>amount due</th>
            <th>refers to</th>
          </tr>
        </thead>
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
