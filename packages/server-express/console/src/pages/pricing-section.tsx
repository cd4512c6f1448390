import { useCallback, useEffect, useState } from 'react';
import { api, messageOf } from '../api';
import { TableHead } from '../table-head';

interface PricingRow {
  provider: string;
  model: string;
  effectiveFrom: string;
  currency: string;
  tokens?: { inputPer1K?: string; outputPer1K?: string };
}

/** The pricing in force (`/api/billing/configs`), with a JSON editor for `PUT` (admin keys only). */
export function PricingSection({ editable }: { editable: boolean }) {
  const [configs, setConfigs] = useState<PricingRow[]>([]);
  const [draft, setDraft] = useState('');
  const [message, setMessage] = useState<string>();
  const load = useCallback(async () => {
    setConfigs((await api<{ configs: PricingRow[] }>('/api/billing/configs')).configs);
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  const save = async () => {
    try {
      await api('/api/billing/configs', { method: 'PUT', body: draft });
      setMessage('Saved.');
      setDraft('');
      await load();
    } catch (err) {
      setMessage(messageOf(err));
    }
  };

  return (
    <>
      <h2>Pricing in force</h2>
      <table data-testid="pricing">
        <TableHead columns={['provider', 'model', 'from', 'currency', 'input / 1K', 'output / 1K']} />
        <tbody>
          {configs.map((c, i) => (
            <tr key={i}>
              <td>{c.provider}</td>
              <td className="mono">{c.model}</td>
              <td>{String(c.effectiveFrom).slice(0, 10)}</td>
              <td>{c.currency}</td>
              <td>{c.tokens?.inputPer1K ?? '—'}</td>
              <td>{c.tokens?.outputPer1K ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <details hidden={!editable}>
        <summary>Add or change a price (JSON, as PUT /api/billing/configs)</summary>
        <textarea value={draft} onChange={(e) => setDraft(e.target.value)} rows={10} cols={80} aria-label="Pricing config JSON" spellCheck={false} />
        <div>
          <button type="button" onClick={save} disabled={!draft.trim()}>
            Save pricing
          </button>
          {message && <span role="status"> {message}</span>}
        </div>
      </details>
    </>
  );
}
