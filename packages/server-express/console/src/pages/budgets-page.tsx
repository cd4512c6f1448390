import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api, messageOf } from '../api';
import { formatMoney, formatTime } from '../format';
import { href } from '../use-hash-route';
import { TableHead } from '../table-head';

interface Budget {
  id: string;
  period: string;
  limit: string;
  currency: string;
  alertAtPercent?: number[];
  action?: string;
  updatedAt: string;
}
interface Alert {
  id: string;
  kind?: string;
  severity?: string;
  message?: string;
  createdAt: string;
  [k: string]: unknown;
}

/** Budgets (set one per period) and the alerts raised against them. */
export function BudgetsPage() {
  const [budgets, setBudgets] = useState<Budget[]>([]);
  const [alerts, setAlerts] = useState<Alert[]>([]);
  const [message, setMessage] = useState<string>();
  const load = useCallback(async () => {
    const [b, a] = await Promise.all([api<{ budgets: Budget[] }>('/api/billing/budgets'), api<{ alerts: Alert[] }>('/api/billing/alerts')]);
    setBudgets(b.budgets);
    setAlerts(a.alerts);
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  const save = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const body = {
      period: form.get('period'),
      limit: String(form.get('limit')),
      currency: String(form.get('currency') || 'USD'),
      alertAtPercent: String(form.get('alertAt') || '80,100')
        .split(',')
        .map((s) => Number(s.trim()))
        .filter((n) => n > 0),
      action: form.get('action'),
    };
    try {
      await api('/api/billing/budgets', { method: 'PUT', body: JSON.stringify(body) });
      setMessage('Saved.');
      await load();
    } catch (err) {
      setMessage(messageOf(err));
    }
  };

  return (
    <section>
      <h1>Budgets &amp; alerts</h1>
      <table data-testid="budgets">
        <TableHead columns={['period', 'limit', 'alert at', 'at 100 %', 'updated']} />
        <tbody>
          {budgets.map((b) => (
            <tr key={b.id}>
              <td>{b.period}</td>
              <td>{formatMoney(b.limit, b.currency)}</td>
              <td>{(b.alertAtPercent ?? []).join(', ')} %</td>
              <td>{b.action ?? 'alert'}</td>
              <td>{formatTime(b.updatedAt)}</td>
            </tr>
          ))}
          {budgets.length === 0 && (
            <tr>
              <td colSpan={5}>No budget set.</td>
            </tr>
          )}
        </tbody>
      </table>
      <h2>Set a budget</h2>
      <form className="inline" onSubmit={save}>
        <select name="period" aria-label="Budget period" defaultValue="month">
          <option value="month">month</option>
          <option value="day">day</option>
        </select>
        <input name="limit" aria-label="Limit" placeholder="100.00" pattern="\d+(\.\d+)?" required />
        <input name="currency" aria-label="Budget currency" defaultValue="USD" size={4} maxLength={3} />
        <input name="alertAt" aria-label="Alert at percent" defaultValue="80,100" size={8} />
        <select name="action" aria-label="Action at 100 percent" defaultValue="alert">
          <option value="alert">alert only</option>
          <option value="block">block new streams (402)</option>
        </select>
        <button type="submit">Save budget</button>
        {message && <span role="status">{message}</span>}
      </form>
      <h2>Alert history</h2>
      <ul className="plain" data-testid="alerts">
        {alerts.map((a) => (
          <li key={a.id}>
            <time>{formatTime(a.createdAt)}</time> <b>{a.kind ?? ''}</b> {a.message ?? JSON.stringify(a)}
          </li>
        ))}
        {alerts.length === 0 && <li>No alert raised.</li>}
      </ul>
      <p className="hint">
        Alerts are also POSTed to the webhooks of the config file (<code>alerts.webhooks</code>): see their <a href={href('webhooks')}>deliveries</a>.
      </p>
    </section>
  );
}
