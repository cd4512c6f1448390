import { useCallback, useState } from 'react';
import { api } from '../api';
import { formatMs, formatPercent, formatRate } from '../format';
import { TimeChart } from '../time-chart';
import type { AdminTraffic as Traffic, TrafficBucket as Bucket } from '../api-types';
import { usePolled } from '../use-polled';

const WINDOWS = ['5m', '15m', '1h', '6h', '24h'];

/** Traffic: throughput, latency, TTFB, rates, connections and network signals over a window. */
export function TrafficPage() {
  const [window, setWindow] = useState('15m');
  // A failed refresh keeps the last figures (the next one tries again).
  const { data } = usePolled(
    useCallback(() => api<Traffic>(`/api/admin/traffic?window=${window}&buckets=30`), [window]),
    5_000,
  );
  const t = data?.totals;
  const col = <V,>(pick: (b: Bucket) => V) => data?.buckets.map(pick) ?? [];
  const times = col((b) => b.at);
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
        <TimeChart title="Throughput (events/s)" times={times} series={[{ label: 'events/s', values: col((b) => b.eventsPerSecond), color: '#2563eb' }]} />
        <TimeChart
          title="Stream duration (ms)"
          times={times}
          series={[
            { label: 'min', values: col((b) => b.latency.min), color: '#16a34a' },
            { label: 'avg', values: col((b) => b.latency.avg), color: '#2563eb' },
            { label: 'p95', values: col((b) => b.latency.p95), color: '#d97706' },
            { label: 'p99', values: col((b) => b.latency.p99), color: '#dc2626' },
          ]}
        />
        <TimeChart
          title="TTFB (ms)"
          times={times}
          series={[
            { label: 'avg', values: col((b) => b.ttft.avg), color: '#2563eb' },
            { label: 'p95', values: col((b) => b.ttft.p95), color: '#d97706' },
          ]}
        />
        <TimeChart
          title="Streams ended"
          times={times}
          series={[
            { label: 'completed', values: col((b) => b.completed), color: '#16a34a' },
            { label: 'errors', values: col((b) => b.errors), color: '#dc2626' },
            { label: 'aborted', values: col((b) => b.aborts), color: '#6b7280' },
          ]}
        />
        <TimeChart
          title="Running streams and connections (most sampled, every 10 s)"
          times={times}
          series={[
            { label: 'streams', values: col((b) => b.streams), color: '#2563eb' },
            { label: 'connections', values: col((b) => b.connections), color: '#16a34a' },
          ]}
        />
        <TimeChart
          title="Network"
          times={times}
          series={[
            { label: 'drops', values: col((b) => b.drops), color: '#dc2626' },
            { label: 'resumes', values: col((b) => b.resumes), color: '#2563eb' },
            { label: 'write stalls', values: col((b) => b.stalls), color: '#d97706' },
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
