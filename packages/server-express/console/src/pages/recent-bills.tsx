import { useCallback } from 'react';
import { api } from '../api';
import { formatMoney, formatMs, formatTime } from '../format';
import type { StreamBillingRecord as BillingRecord } from '../api-types';
import { href } from '../use-hash-route';
import { usePolled } from '../use-polled';
import { TableHead } from '../table-head';

/**
 * The tenant's latest billing records (`/api/billing/records`), refreshed every 3 s: a stream that
 * ended before the page was opened (a quick curl) is still one click from its bill.
 */
export function RecentBills() {
  // A failed refresh keeps the rows shown (the next one tries again).
  const records =
    usePolled(
      useCallback(() => api<{ records: BillingRecord[] }>('/api/billing/records?limit=10').then((r) => r.records), []),
      3_000,
    ).data ?? [];
  return (
    <table data-testid="recent-bills">
      <TableHead columns={['started', 'stream', 'provider/model', 'state', 'end', 'tokens in / out', 'duration', 'total']} />
      <tbody>
        {records.map((r) => (
          <tr key={r.id} data-stream-id={r.streamId}>
            <td>{formatTime(r.startedAt)}</td>
            <td>
              <a href={href('stream', r.streamId)} className="mono">
                {r.streamId}
              </a>
            </td>
            <td>
              {r.provider}/{r.model}
            </td>
            <td>{r.state}</td>
            <td>{r.endReason ?? '—'}</td>
            <td>
              {r.inputTokens ?? '?'} / {r.outputTokens ?? '?'}
            </td>
            <td>{r.state === 'final' ? formatMs(r.durationMs) : '—'}</td>
            <td>{r.state === 'final' ? formatMoney(r.lines?.total, r.currency) : 'running'}</td>
          </tr>
        ))}
        {records.length === 0 && (
          <tr>
            <td colSpan={8}>No stream yet: try the curl command twin-server printed.</td>
          </tr>
        )}
      </tbody>
    </table>
  );
}
