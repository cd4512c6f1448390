import { useEffect, useMemo, useState } from 'react';
import { api, messageOf } from '../api';
import { ErrorMessage } from '../error-message';
import { formatMoney } from '../format';
import { saveFile } from '../save-file';
import { TableHead } from '../table-head';
import { TimeChart } from '../time-chart';
import { href } from '../use-hash-route';
import type { SpendPoint, StreamUsageReport as UsageReport } from '../api-types';

interface SpendSeries {
  points: SpendPoint[];
}

const DIMENSIONS = ['model', 'provider', 'apiKey', 'purpose', 'user'];

function monthBounds(offset: number): { from: string; to: string } {
  const now = new Date();
  return {
    from: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1)).toISOString(),
    to: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset + 1, 1)).toISOString(),
  };
}

function periodBounds(period: string): { from: string; to: string } {
  if (period === 'last-month') return monthBounds(-1);
  if (period === 'today') {
    const now = new Date();
    const from = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
    return { from: new Date(from).toISOString(), to: new Date(from + 86_400_000).toISOString() };
  }
  return monthBounds(0);
}

function csvCell(value: string | number): string {
  const s = String(value);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The report's groups as CSV (amounts are the API's exact decimal strings, unchanged). */
function toCsv(report: UsageReport): string {
  const lines = Object.keys(report.totals.cost);
  const head = [...report.groupBy, 'count', 'inputTokens', 'outputTokens', 'bytes', 'durationMs', ...lines.map((l) => `${l} (${report.currency})`)];
  const rows = report.groups.map((g) => [...report.groupBy.map((d) => g.key[d] ?? ''), g.count, g.inputTokens, g.outputTokens, g.bytes, g.durationMs, ...lines.map((l) => g.cost[l] ?? '')]);
  const total = [...report.groupBy.map((_, i) => (i === 0 ? 'TOTAL' : '')), report.totals.count, report.totals.inputTokens, report.totals.outputTokens, report.totals.bytes, report.totals.durationMs, ...lines.map((l) => report.totals.cost[l] ?? '')];
  return [head, ...rows, total].map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}

/** Spend: the billing report by dimension, a trend chart with the projection, CSV export. */
export function SpendPage() {
  const [period, setPeriod] = useState('this-month');
  const [groupBy, setGroupBy] = useState('model');
  const [currency, setCurrency] = useState('');
  const [report, setReport] = useState<UsageReport>();
  const [series, setSeries] = useState<SpendSeries>();
  const [error, setError] = useState<string>();
  const bounds = useMemo(() => periodBounds(period), [period]);

  useEffect(() => {
    const q = new URLSearchParams({ from: bounds.from, to: bounds.to, groupBy, ...(currency ? { currency } : {}) });
    const s = new URLSearchParams({ from: bounds.from, to: bounds.to, bucket: period === 'today' ? 'hour' : 'day', ...(currency ? { currency } : {}) });
    setError(undefined);
    Promise.all([api<UsageReport>(`/api/billing/report?${q}`), api<SpendSeries>(`/api/admin/spend?${s}`)]).then(
      ([r, p]) => {
        setReport(r);
        setSeries(p);
      },
      (e: unknown) => setError(messageOf(e)),
    );
  }, [bounds, groupBy, currency, period]);

  const download = () => {
    if (!report) return;
    saveFile(`twin-spend-${bounds.from.slice(0, 10)}-${groupBy}.csv`, toCsv(report), 'text/csv');
  };

  // The chart: spend per bucket and the running total; the projection continues it to the period's end.
  const chart = useMemo(() => {
    // Every bucket from the period's start to now (or its end), empty ones at 0, so the line runs
    // through the quiet days. Floats only for drawing; the cards and the table show the exact strings.
    const step = period === 'today' ? 3_600_000 : 86_400_000;
    const byTime = new Map((series?.points ?? []).map((p) => [Date.parse(p.at), Number(p.total)]));
    const end = Math.min(Date.parse(bounds.to), Date.now());
    const times: number[] = [];
    for (let at = Date.parse(bounds.from); at < end; at += step) times.push(at);
    let running = 0;
    const perBucket = times.map((at) => byTime.get(at) ?? 0);
    const cumulative = perBucket.map((v) => (running += v));
    const projected = report?.projection?.total;
    if (projected !== undefined && times.length > 0) {
      times.push(Date.parse(bounds.to));
      perBucket.push(null as unknown as number);
      cumulative.push(null as unknown as number);
    }
    const projection = times.map((_, i) => (i === times.length - 1 && projected !== undefined ? Number(projected) : i === times.length - 2 ? cumulative[i]! : null));
    return { times, perBucket, cumulative, projection };
  }, [series, report, bounds, period]);

  const cost = report?.totals.cost ?? {};
  return (
    <section>
      <h1>Spend</h1>
      <div className="controls">
        <label>
          Period{' '}
          <select value={period} onChange={(e) => setPeriod(e.target.value)} aria-label="Period">
            <option value="this-month">This month</option>
            <option value="last-month">Last month</option>
            <option value="today">Today</option>
          </select>
        </label>
        <label>
          By{' '}
          <select value={groupBy} onChange={(e) => setGroupBy(e.target.value)} aria-label="Group by">
            {DIMENSIONS.map((d) => (
              <option key={d}>{d}</option>
            ))}
          </select>
        </label>
        <label>
          Currency{' '}
          <input value={currency} onChange={(e) => setCurrency(e.target.value.toUpperCase())} placeholder="(the records')" size={6} aria-label="Currency" maxLength={3} />
        </label>
        <button type="button" onClick={download} disabled={!report}>
          Export CSV
        </button>
      </div>
      <ErrorMessage message={error} />
      {report && (
        <>
          <div className="cards">
            <div className="card">
              <b data-testid="spend-total">{formatMoney(cost.total, report.currency)}</b> total ({report.totals.count} streams)
            </div>
            <div className="card">
              <b>{report.projection?.total !== undefined ? formatMoney(report.projection.total, report.currency) : '—'}</b> projected for the period
            </div>
            <div className="card">
              <b>{report.trend?.total !== undefined ? `${report.trend.total} %` : '—'}</b> vs previous period
            </div>
            <div className="card">
              <b>{report.totals.inputTokens + report.totals.outputTokens}</b> tokens
            </div>
          </div>
          <TimeChart
            title={`Spend (${report.currency})`}
            times={chart.times}
            series={[
              { label: 'per bucket', values: chart.perBucket, color: '#2563eb' },
              { label: 'cumulative', values: chart.cumulative, color: '#16a34a' },
              { label: 'projection', values: chart.projection, color: '#d97706', dash: [6, 4] },
            ]}
          />
          <table className="report" data-testid="spend-table">
            <TableHead columns={[groupBy, 'streams', 'input tokens', 'output tokens', 'tokens', 'streaming', 'infrastructure', 'total']} />
            <tbody>
              {report.groups.map((g) => (
                <tr key={JSON.stringify(g.key)}>
                  <td className="mono">{g.key[groupBy] || '(none)'}</td>
                  <td>{g.count}</td>
                  <td>{g.inputTokens}</td>
                  <td>{g.outputTokens}</td>
                  <td>{formatMoney(g.cost.tokenCost, report.currency)}</td>
                  <td>{formatMoney(g.cost.streaming, report.currency)}</td>
                  <td>{formatMoney(g.cost.infrastructure, report.currency)}</td>
                  <td>{formatMoney(g.cost.total, report.currency)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="hint">
            Invoices for a period: <a href={href('invoices')}>Invoices</a>.
          </p>
        </>
      )}
    </section>
  );
}
