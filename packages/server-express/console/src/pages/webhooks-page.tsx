import { useCallback, useState } from 'react';
import { api } from '../api';
import type { WebhookDeliveryView } from '../api-types';
import { ErrorMessage } from '../error-message';
import { formatTime } from '../format';
import { usePolled } from '../use-polled';
import { TableHead } from '../table-head';

const STATUSES = ['', 'pending', 'delivered', 'failed'] as const;

/**
 * The alert webhooks' delivery log (`/api/admin/webhooks/deliveries`): each alert POSTed to each
 * endpoint, its attempts, status, next retry and last error. Refreshed every 3 s.
 */
export function WebhooksPage({ tenantId }: { tenantId: string }) {
  const [status, setStatus] = useState<(typeof STATUSES)[number]>('');
  const [scope, setScope] = useState<'tenant' | 'server' | 'all'>('tenant');
  const [kind, setKind] = useState('');
  const { data: deliveries, error } = usePolled(
    useCallback(() => {
      const q = new URLSearchParams({ limit: '200', ...(status ? { status } : {}), ...(scope === 'tenant' ? { tenant: tenantId } : scope === 'server' ? { tenant: '*' } : {}) });
      return api<{ deliveries: WebhookDeliveryView[] }>(`/api/admin/webhooks/deliveries?${q}`).then((d) => d.deliveries);
    }, [status, scope, tenantId]),
    3_000,
  );

  const shown = (deliveries ?? []).filter((d) => !kind || d.kind.startsWith(kind));
  return (
    <section>
      <h1>Webhook deliveries</h1>
      <div className="controls">
        <label>
          Status{' '}
          <select value={status} onChange={(e) => setStatus(e.target.value as typeof status)} aria-label="Delivery status">
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s || 'any'}
              </option>
            ))}
          </select>
        </label>
        <label>
          Alerts of{' '}
          <select value={scope} onChange={(e) => setScope(e.target.value as typeof scope)} aria-label="Alerts of">
            <option value="tenant">tenant {tenantId}</option>
            <option value="server">the server (error rate, latency, drops, cost)</option>
            <option value="all">every tenant</option>
          </select>
        </label>
        <label>
          Event{' '}
          <input value={kind} onChange={(e) => setKind(e.target.value)} placeholder="budget, error_rate…" aria-label="Event" size={14} />
        </label>
      </div>
      <ErrorMessage message={error} />
      <table data-testid="deliveries">
        <TableHead columns={['created', 'event', 'delivery id', 'endpoint', 'status', 'attempts', 'last answer', 'next retry', 'last error']} />
        <tbody>
          {shown.map((d) => (
            <tr key={d.id} data-delivery-id={d.id} data-kind={d.kind} data-status={d.status}>
              <td>{formatTime(d.createdAt)}</td>
              <td className="mono">{d.kind}</td>
              <td className="mono">{d.id}</td>
              <td className="mono">{d.url}</td>
              <td className={`delivery-${d.status}`}>
                {d.status}
                {d.deliveredAt ? ` ${formatTime(d.deliveredAt)}` : ''}
              </td>
              <td>{d.attempts}</td>
              <td>{d.lastStatus ?? '—'}</td>
              <td>{d.status === 'pending' && d.nextAttemptAt ? formatTime(d.nextAttemptAt) : '—'}</td>
              <td className="error">{d.lastError ?? ''}</td>
            </tr>
          ))}
          {deliveries && shown.length === 0 && (
            <tr>
              <td colSpan={9}>No delivery{kind || status ? ' matches' : ' yet: alerts go to the webhooks of the config file (alerts.webhooks)'}.</td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}
