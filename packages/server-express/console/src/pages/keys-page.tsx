import { useEffect, useState } from 'react';
import { api } from '../api';
import { formatTime } from '../format';

interface Key {
  id: string;
  name: string;
  role: string;
  prefix: string;
  createdAt: string;
  revokedAt: string | null;
  current: boolean;
}

/** API keys (read: keys are created and revoked with `twin-server keys`) and pricing (admins may edit). */
export function KeysPage() {
  const [keys, setKeys] = useState<Key[]>([]);
  const [configs, setConfigs] = useState<unknown[]>([]);
  const [draft, setDraft] = useState('');
  const [message, setMessage] = useState<string>();
  const load = async () => {
    const [k, c] = await Promise.all([api<{ keys: Key[] }>('/api/admin/keys'), api<{ configs: unknown[] }>('/api/billing/configs')]);
    setKeys(k.keys);
    setConfigs(c.configs);
  };
  useEffect(() => {
    void load();
  }, []);

  const save = async () => {
    try {
      await api('/api/billing/configs', { method: 'PUT', body: draft });
      setMessage('Saved.');
      setDraft('');
      await load();
    } catch (err) {
      setMessage(err instanceof Error ? err.message : String(err));
    }
  };

  return (
    <section>
      <h1>Keys &amp; pricing</h1>
      <table data-testid="keys">
        <thead>
          <tr>
            <th>id</th>
            <th>name</th>
            <th>role</th>
            <th>prefix</th>
            <th>created</th>
            <th>revoked</th>
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => (
            <tr key={k.id}>
              <td className="mono">
                {k.id}
                {k.current ? ' (this session)' : ''}
              </td>
              <td>{k.name}</td>
              <td>{k.role}</td>
              <td className="mono">{k.prefix}…</td>
              <td>{formatTime(k.createdAt)}</td>
              <td>{k.revokedAt ? formatTime(k.revokedAt) : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="hint">
        Create and revoke keys with <code>twin-server keys create|revoke</code>.
      </p>
      <h2>Pricing in force</h2>
      <table data-testid="pricing">
        <thead>
          <tr>
            <th>provider</th>
            <th>model</th>
            <th>from</th>
            <th>currency</th>
            <th>input / 1K</th>
            <th>output / 1K</th>
          </tr>
        </thead>
        <tbody>
          {configs.map((raw, i) => {
            const c = raw as { provider: string; model: string; effectiveFrom: string; currency: string; tokens?: { inputPer1K?: string; outputPer1K?: string } };
            return (
              <tr key={i}>
                <td>{c.provider}</td>
                <td className="mono">{c.model}</td>
                <td>{String(c.effectiveFrom).slice(0, 10)}</td>
                <td>{c.currency}</td>
                <td>{c.tokens?.inputPer1K ?? '—'}</td>
                <td>{c.tokens?.outputPer1K ?? '—'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <details>
        <summary>Add or change a price (JSON, as PUT /api/billing/configs)</summary>
        <textarea value={draft} onChange={(e) => setDraft(e.target.value)} rows={10} cols={80} aria-label="Pricing config JSON" spellCheck={false} />
        <div>
          <button type="button" onClick={save} disabled={!draft.trim()}>
            Save pricing
          </button>
          {message && <span role="status"> {message}</span>}
        </div>
      </details>
    </section>
  );
}
