import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { api } from '../api';
import { formatBytes, formatMoney, formatMs, formatPercent, formatRate } from '../format';
import { createLiveFeed, type LiveFeed } from '../live-feed';
import type { StreamBillingRecord as BillingRecord, LiveStreamSummary as LiveRow } from '../api-types';
import { href } from '../use-hash-route';
import { RecentBills } from './recent-bills';

const ROW_HEIGHT = 30;
const COLUMNS = '1.6fr 0.8fr 1.3fr 0.8fr 0.7fr 0.6fr 0.6fr 0.7fr 0.8fr 1fr 0.8fr 0.7fr';
// Cluster mode: every row names the instance that runs it, in a column after the stream's id.
const CLUSTER_COLUMNS = '1.6fr 0.7fr 0.8fr 1.3fr 0.8fr 0.7fr 0.6fr 0.6fr 0.7fr 0.8fr 1fr 0.8fr 0.7fr';
const HEADINGS = ['stream', 'key', 'provider/model', 'age', 'tokens', 'tok/s', 'TTFB', 'bytes', 'cost so far', 'state', 'stalls', ''];

function Row({ row, onClose, closing, cluster }: { row: LiveRow; onClose: (id: string) => void; closing: boolean; cluster: boolean }) {
  return (
    <div className="row" role="row" data-testid="live-row" data-stream-id={row.id} style={{ gridTemplateColumns: cluster ? CLUSTER_COLUMNS : COLUMNS }}>
      <a role="cell" href={href('stream', row.id)} className="mono">
        {row.id}
      </a>
      {cluster && (
        <span role="cell" className="mono" data-testid="live-instance">
          {row.instance ?? '—'}
        </span>
      )}
      <span role="cell" className="mono" title={row.tenantId}>
        {row.apiKeyId}
      </span>
      <span role="cell">
        {row.provider}/{row.model}
      </span>
      <span role="cell">{formatMs(row.ageMs)}</span>
      <span role="cell" title={row.tokensEstimated ? 'estimated from the text sent' : 'reported by the provider'}>
        {row.tokensEstimated ? '≈' : ''}
        {row.outputTokens}
      </span>
      <span role="cell">{formatRate(row.tokensPerSecond)}</span>
      <span role="cell">{formatMs(row.ttftMs)}</span>
      <span role="cell">{formatBytes(row.bytes)}</span>
      <span role="cell" title="estimated: what it would cost if it ended now">
        {row.costSoFar ? `≈ ${formatMoney(row.costSoFar.total, row.costSoFar.currency)}` : '—'}
      </span>
      <span role="cell" className={`state state-${row.state}`}>
        {row.state}
        {row.reconnects > 0 ? ` ×${row.reconnects}` : ''}
      </span>
      <span role="cell">{row.backpressureEvents}</span>
      <span role="cell">
        <button type="button" onClick={() => onClose(row.id)} disabled={closing} aria-label={`Close ${row.id}`}>
          Close
        </button>
      </span>
    </div>
  );
}

/**
 * Live: every running stream of the tenant, from the admin SSE feed. The table is virtualised (only
 * the rows in view are in the DOM) and the feed sends one snapshot a second, so 1,000 streams cost
 * one render of some 30 rows a second.
 */
export function LivePage({ apiKey }: { apiKey: string }) {
  const feed = useMemo<LiveFeed>(() => createLiveFeed(apiKey), [apiKey]);
  useEffect(() => () => feed.close(), [feed]);
  const state = useSyncExternalStore(feed.subscribe, feed.getSnapshot);
  const [closing, setClosing] = useState<Record<string, boolean>>({});
  const [closed, setClosed] = useState<BillingRecord[]>([]);
  const scroller = useRef<HTMLDivElement>(null);
  const rows = useMemo(() => [...(state.snapshot?.streams ?? [])].sort((a, b) => b.startedAt - a.startedAt), [state.snapshot]);
  const cluster = rows.some((r) => r.instance !== undefined);
  const virtual = useVirtualizer({ count: rows.length, getScrollElement: () => scroller.current, estimateSize: () => ROW_HEIGHT, overscan: 10 });

  const close = async (id: string) => {
    setClosing((c) => ({ ...c, [id]: true }));
    try {
      const answer = await api<{ billing: BillingRecord }>(`/api/stream/${encodeURIComponent(id)}`, { method: 'DELETE' });
      if (answer.billing) setClosed((list) => [answer.billing, ...list].slice(0, 20));
    } finally {
      setClosing((c) => ({ ...c, [id]: false }));
    }
  };

  const s = state.snapshot;
  return (
    <section>
      <h1>Live</h1>
      <div className="cards">
        <div className="card">
          <b data-testid="active-count">{s?.streams.length ?? '—'}</b> active streams
        </div>
        <div className="card">
          <b>{s?.stats.openConnections ?? '—'}</b> connections
        </div>
        <div className="card">
          <b>{formatPercent(s?.stats.errorRate)}</b> errors (5 min)
        </div>
        <div className="card">
          <b>{s?.network.dropsLastHour ?? '—'}</b> drops / h
        </div>
        <div className="card">
          <b>{s?.network.resumesLastHour ?? '—'}</b> resumes / h
        </div>
        <div className="card">
          <b>{s?.network.stallsLastHour ?? '—'}</b> write stalls / h
        </div>
        <div className="card feed" data-testid="feed-status" data-at={s?.at}>
          feed: {state.status}
        </div>
      </div>
      <div className="table" role="table" aria-label="Active streams">
        <div className="row head" role="row" style={{ gridTemplateColumns: cluster ? CLUSTER_COLUMNS : COLUMNS }}>
          {(cluster ? [HEADINGS[0]!, 'instance', ...HEADINGS.slice(1)] : HEADINGS).map((h) => (
            <span role="columnheader" key={h}>
              {h}
            </span>
          ))}
        </div>
        <div ref={scroller} className="scroller" style={{ height: Math.min(480, Math.max(ROW_HEIGHT * 3, rows.length * ROW_HEIGHT)) }}>
          <div style={{ height: virtual.getTotalSize(), position: 'relative' }}>
            {virtual.getVirtualItems().map((item) => (
              <div key={rows[item.index]!.id} style={{ position: 'absolute', top: 0, left: 0, right: 0, height: ROW_HEIGHT, transform: `translateY(${item.start}px)` }}>
                <Row row={rows[item.index]!} onClose={close} closing={closing[rows[item.index]!.id] === true} cluster={cluster} />
              </div>
            ))}
          </div>
          {rows.length === 0 && <p className="empty">No stream is running.</p>}
        </div>
      </div>
      {closed.length > 0 && (
        <>
          <h2>Closed from here</h2>
          <ul className="plain" data-testid="closed-bills">
            {closed.map((b) => (
              <li key={b.id} data-stream-id={b.streamId}>
                <a href={href('stream', b.streamId)} className="mono">
                  {b.streamId}
                </a>{' '}
                billed <span data-testid="end-reason">{b.endReason}</span>: {formatMoney(b.lines?.total, b.currency)}
              </li>
            ))}
          </ul>
        </>
      )}
      <h2>Latest bills</h2>
      <RecentBills />
      <h2>Finished while this page was open</h2>
      <ul className="plain" data-testid="finished">
        {state.finished.slice(0, 10).map((f) => (
          <li key={f.row.id} data-stream-id={f.row.id}>
            <a href={href('stream', f.row.id)} className="mono">
              {f.row.id}
            </a>{' '}
            {f.row.provider}/{f.row.model}, {formatMs(f.row.ageMs)}, {f.row.tokensEstimated ? "≈" : ""}{f.row.outputTokens} tokens
          </li>
        ))}
      </ul>
    </section>
  );
}
