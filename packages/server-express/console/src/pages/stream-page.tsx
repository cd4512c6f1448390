import { useEffect, useState } from 'react';
import { api, messageOf } from '../api';
import { ErrorMessage } from '../error-message';
import { formatBytes, formatMoney, formatMs, formatTime } from '../format';
import type { AdminStreamDetail, StreamBillingRecord as BillingRecord, StreamMetrics } from '../api-types';

type StreamDetail = AdminStreamDetail<BillingRecord, StreamMetrics>;

const LINE_LABELS: Array<[string, string]> = [
  ['tokenCost', 'Tokens'],
  ['discount', 'Volume discount'],
  ['streaming', 'Streaming (time + volume)'],
  ['bandwidthPremium', 'Bandwidth premium'],
  ['infrastructure', 'Infrastructure'],
  ['subtotal', 'Subtotal'],
  ['slaPenalty', 'SLA penalty'],
  ['total', 'Total'],
];

function Bill({ record }: { record: BillingRecord }) {
  const lines: Partial<Record<string, unknown>> = record.lines ?? {};
  const taxes = record.lines?.taxes ?? [];
  return (
    <div className="bill" data-testid="bill">
      <p>
        state <b data-testid="bill-state">{record.state}</b>, end reason <b data-testid="bill-end-reason">{record.endReason ?? '—'}</b>
        {record.usageEstimated ? ', usage estimated (tokenizer)' : ''}
        {record.usageMissing ? ', usage partly unknown' : ''}
      </p>
      <table>
        <tbody>
          <tr>
            <th>Input tokens</th>
            <td>{record.inputTokens ?? 'unknown'}</td>
          </tr>
          <tr>
            <th>Output tokens</th>
            <td>{record.outputTokens ?? 'unknown'}</td>
          </tr>
          <tr>
            <th>Duration</th>
            <td>
              {record.durationMs} ms ({(record.durationMs / 1000).toFixed(3)} s)
            </td>
          </tr>
          <tr>
            <th>Bytes</th>
            <td>
              {record.bytes} B ({(record.bytes / 1_000_000).toFixed(6)} MB)
            </td>
          </tr>
          <tr>
            <th>Connections</th>
            <td>{record.connections ?? 1}</td>
          </tr>
          {LINE_LABELS.filter(([k]) => typeof lines[k] === 'string').map(([k, label]) => (
            <tr key={k} className={k === 'total' ? 'total' : undefined}>
              <th>{label}</th>
              <td data-testid={`line-${k}`}>{formatMoney(lines[k] as string, record.currency)}</td>
            </tr>
          ))}
          {taxes.map((t) => (
            <tr key={t.name}>
              <th>
                {t.name} ({t.ratePercent} %)
              </th>
              <td>{formatMoney(t.amount, record.currency)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Stream detail: the timeline and text from the audit log, the itemised bill, the metrics. */
export function StreamPage({ id }: { id: string }) {
  const [detail, setDetail] = useState<StreamDetail>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    let stop = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async () => {
      try {
        const d = await api<StreamDetail>(`/api/admin/streams/${encodeURIComponent(id)}`);
        if (stop) return;
        setDetail(d);
        setError(undefined);
        // Until the bill is final the audit log is still being written: look again.
        if (d.billing?.state !== 'final') timer = setTimeout(load, 1_000);
      } catch (e) {
        if (!stop) setError(messageOf(e));
      }
    };
    void load();
    return () => {
      stop = true;
      if (timer) clearTimeout(timer);
    };
  }, [id]);

  if (error) return <ErrorMessage message={error} />;
  if (!detail) return <p>Loading…</p>;
  const m: Partial<StreamMetrics> = detail.metrics ?? {};
  return (
    <section>
      <h1 className="mono">{detail.streamId}</h1>
      <p>
        status <b data-testid="stream-status">{detail.status ?? '—'}</b>
        {detail.live?.instance ? (
          <>
            {' '}
            on instance <b data-testid="stream-instance">{detail.live.instance}</b>
          </>
        ) : null}
        {detail.billing ? ` · ${detail.billing.provider}/${detail.billing.model}` : ''}
        {detail.billing?.purpose ? ` · purpose ${detail.billing.purpose}` : ''}
      </p>
      <div className="columns">
        <div>
          <h2>Bill</h2>
          {detail.billing ? <Bill record={detail.billing} /> : <p>No billing record yet.</p>}
          <h2>Metrics</h2>
          <table>
            <tbody>
              <tr><th>TTFB</th><td>{formatMs(m.ttftMs)}</td></tr>
              <tr><th>Duration</th><td>{formatMs(m.durationMs)}</td></tr>
              <tr><th>Events</th><td>{m.eventsSent ?? '—'}</td></tr>
              <tr><th>Bytes</th><td>{formatBytes(m.bytesSent)}</td></tr>
              <tr><th>Tokens/s</th><td>{typeof m.tokensPerSecond === 'number' ? m.tokensPerSecond.toFixed(1) : '—'}</td></tr>
              <tr><th>Reconnects</th><td>{m.reconnects ?? '—'}</td></tr>
              <tr><th>Backpressure</th><td>{m.backpressureEvents ?? '—'}</td></tr>
            </tbody>
          </table>
        </div>
        <div>
          <h2>Timeline</h2>
          <ol className="timeline" data-testid="timeline">
            {detail.timeline.map((t, i) => (
              <li key={i} className={`kind-${t.kind}`}>
                <time>{formatTime(t.at)}</time> <b>{t.kind}</b>
                {t.seq !== undefined ? ` seq ${t.seq}${t.lastSeq !== undefined && t.lastSeq !== t.seq ? `–${t.lastSeq}` : ''}` : ''}
                {t.detail ? <code> {JSON.stringify(t.detail)}</code> : null}
              </li>
            ))}
          </ol>
        </div>
      </div>
      <h2>Text (replayed from the audit log)</h2>
      {detail.sealed ? (
        <p>This stream was sealed (encoded or encrypted): its content is not stored.</p>
      ) : (
        <pre className="replay" data-testid="replayed-text">{detail.text}</pre>
      )}
      {detail.reasoning && (
        <>
          <h3>Reasoning</h3>
          <pre className="replay">{detail.reasoning}</pre>
        </>
      )}
    </section>
  );
}
