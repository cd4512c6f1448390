import { useEffect, useState } from 'react';
import { api } from '../api';
import { formatMs, formatPercent, formatRate } from '../format';
import { TimeChart } from '../time-chart';
import type { AdminTraffic as Traffic, TrafficBucket as Bucket } from '../api-types';

const WINDOWS = ['5m', '15m', '1h', '6h', '24h'];

/** Traffic: throughput, latency, TTFB, rates, connections and network signals over a window. */
export function TrafficPage() {
  const [window, setWindow] = useState('15m');
  const [data, setData] = useState<Traffic>();
  useEffect(() => {
    let stop = false;
    const load = () =>
      api<Traffic>(`/api/admin/traffic?window=${window}&buckets=30`).then((d) => {
        if (!stop) setData(d);
      });
    void load();
    const timer = setInterval(load, 5_000);
    return () => {
      stop = true;
      clearInterval(timer);
    };
  }, [window]);
  const t = data?.totals;
  const times = data?.buckets.map((b) => b.at) ?? [];
  const col = <K extends keyof Bucket>(k: K) => data?.buckets.map((b) => b[k]) ?? [];
  return (
    <section>
      <h1>Traffic</h1>
      <label>
        Window{' '}
        <select value={window} onChange={(e) => setWindow(e.target.value)} aria-label="Window">
          {WINDOWS.map((w) => (
            <option key={w}>{w}</option>
          ))}
        </select>
      </label>
      <div className="cards">
        <div className="card"><b>{data?.now.activeStreams ?? '—'}</b> active</div>
        <div className="card"><b>{data?.now.openConnections ?? '—'}</b> connections</div>
        <div className="card"><b data-testid="finished-count">{t?.finished ?? '—'}</b> finished</div>
        <div className="card"><b>{formatPercent(t?.completionRate)}</b> completed</div>
        <div className="card"><b data-testid="error-rate">{formatPercent(t?.errorRate)}</b> errors</div>
        <div className="card"><b>{formatRate(t?.eventsPerSecond)}</b> events/s</div>
        <div className="card"><b>{formatMs(t?.latency.min)} / {formatMs(t?.latency.avg)} / {formatMs(t?.latency.p95)} / {formatMs(t?.latency.p99)}</b> duration min/avg/p95/p99</div>
        <div className="card"><b>{formatMs(t?.ttft.avg)} / {formatMs(t?.ttft.p95)}</b> TTFB avg/p95</div>
        <div className="card"><b>{formatRate(t?.dropsPerHour, 0)}</b> drops/h</div>
        <div className="card"><b>{t?.resumes ?? '—'}</b> resumes</div>
        <div className="card"><b>{t?.stalls ?? '—'} ({formatMs(t?.stallMs)})</b> write stalls</div>
      </div>
      <div className="grid2">
        <TimeChart title="Throughput (events/s)" times={times} series={[{ label: 'events/s', values: col('eventsPerSecond'), color: '#2563eb' }]} />
        <TimeChart
          title="Stream duration (ms)"
          times={times}
          series={[
            { label: 'min', values: data?.buckets.map((b) => b.latency.min) ?? [], color: '#16a34a' },
            { label: 'avg', values: data?.buckets.map((b) => b.latency.avg) ?? [], color: '#2563eb' },
            { label: 'p95', values: data?.buckets.map((b) => b.latency.p95) ?? [], color: '#d97706' },
            { label: 'p99', values: data?.buckets.map((b) => b.latency.p99) ?? [], color: '#dc2626' },
          ]}
        />
        <TimeChart
          title="TTFB (ms)"
          times={times}
          series={[
            { label: 'avg', values: data?.buckets.map((b) => b.ttft.avg) ?? [], color: '#2563eb' },
            { label: 'p95', values: data?.buckets.map((b) => b.ttft.p95) ?? [], color: '#d97706' },
          ]}
        />
        <TimeChart
          title="Streams ended"
          times={times}
          series={[
            { label: 'completed', values: col('completed'), color: '#16a34a' },
            { label: 'errors', values: col('errors'), color: '#dc2626' },
            { label: 'aborted', values: col('aborts'), color: '#6b7280' },
          ]}
        />
        <TimeChart
          title="Running streams and connections (most sampled, every 10 s)"
          times={times}
          series={[
            { label: 'streams', values: col('streams'), color: '#2563eb' },
            { label: 'connections', values: col('connections'), color: '#16a34a' },
          ]}
        />
        <TimeChart
          title="Network"
          times={times}
          series={[
            { label: 'drops', values: col('drops'), color: '#dc2626' },
            { label: 'resumes', values: col('resumes'), color: '#2563eb' },
            { label: 'write stalls', values: col('stalls'), color: '#d97706' },
          ]}
        />
      </div>
      <p className="hint">
        From this server's memory (the newest 10,000 finished streams); Prometheus (<code>/metrics</code>, ops/) keeps the history. RTT and
        retransmissions are not measured: Node does not expose the socket's TCP_INFO.
      </p>
    </section>
  );
}
