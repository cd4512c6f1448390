import { useCallback, useState } from 'react';
import { api, messageOf } from '../api';
import type { PublicApiKey } from '../api-types';
import { ErrorMessage } from '../error-message';
import { formatTime } from '../format';
import { useLoad } from '../use-load';
import { KeyForm } from './key-form';
import { NewSecret } from './new-secret';
import { PricingSection } from './pricing-section';
import { TableHead } from '../table-head';

type Created = PublicApiKey & { key: string };

function limits(k: PublicApiKey): string {
  const parts = [k.requestsPerMinute !== null ? `${k.requestsPerMinute} req/min` : '', k.tokensPerMinute !== null ? `${k.tokensPerMinute} tok/min` : ''].filter(Boolean);
  return parts.length ? parts.join(', ') : '—';
}

function allowed(k: PublicApiKey): string {
  const parts = [k.allowedModels ? `models ${k.allowedModels.join(', ')}` : '', k.allowedProviders ? `providers ${k.allowedProviders.join(', ')}` : ''].filter(Boolean);
  return parts.length ? parts.join('; ') : 'all';
}

/**
 * API keys of the signed-in tenant (`/api/keys`): create (the secret shown once), change name,
 * limits, allow-lists and expiry, rotate, revoke. And the pricing in force.
 */
export function KeysPage({ tenantId, apiKeyId, admin }: { tenantId: string; apiKeyId: string; admin: boolean }) {
  const [keys, setKeys] = useState<PublicApiKey[]>([]);
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<string>();
  const [confirming, setConfirming] = useState<{ id: string; action: 'rotate' | 'revoke' }>();
  const [secret, setSecret] = useState<{ title: string; key: string }>();
  const [message, setMessage] = useState<string>();

  const { error, reload: load } = useLoad(
    useCallback(async () => {
      setKeys((await api<{ keys: PublicApiKey[] }>(`/api/keys?tenant=${encodeURIComponent(tenantId)}`)).keys);
    }, [tenantId]),
  );

  const create = async (body: Record<string, unknown>) => {
    const created = await api<Created>('/api/keys', { method: 'POST', body: JSON.stringify(body) });
    setCreating(false);
    setSecret({ title: `Key ${created.id} (${created.name}) created`, key: created.key });
    await load();
  };
  const update = (id: string) => async (body: Record<string, unknown>) => {
    await api<PublicApiKey>(`/api/keys/${encodeURIComponent(id)}`, { method: 'PATCH', body: JSON.stringify(body) });
    setEditing(undefined);
    setMessage(`Key ${id} saved.`);
    await load();
  };
  const act = async (id: string, action: 'rotate' | 'revoke') => {
    setConfirming(undefined);
    setMessage(undefined);
    try {
      if (action === 'rotate') {
        const rotated = await api<Created>(`/api/keys/${encodeURIComponent(id)}/rotate`, { method: 'POST', body: '{}' });
        setSecret({ title: `Key ${id} rotated: its successor is ${rotated.id}`, key: rotated.key });
      } else {
        await api(`/api/keys/${encodeURIComponent(id)}`, { method: 'DELETE' });
        setMessage(`Key ${id} revoked.`);
      }
    } catch (err) {
      setMessage(messageOf(err));
    }
    await load();
  };

  return (
    <section>
      <h1>Keys &amp; pricing</h1>
      {secret && <NewSecret title={secret.title} secret={secret.key} onClose={() => setSecret(undefined)} />}
      <ErrorMessage message={error} />
      <table data-testid="keys">
        <TableHead columns={['id', 'name', 'role', 'prefix', 'status', 'limits', 'allowed', 'expires', 'created', '']} />
        <tbody>
          {keys.map((k) => (
            <tr key={k.id} data-key-id={k.id} className={`status-${k.status}`}>
              <td className="mono">
                {k.id}
                {k.id === apiKeyId ? ' (this session)' : ''}
                {k.rotatedFrom ? <small> ← {k.rotatedFrom}</small> : null}
              </td>
              <td>{k.name}</td>
              <td>{k.role}</td>
              <td className="mono">{k.prefix}…</td>
              <td data-testid="key-status">{k.status}</td>
              <td>{limits(k)}</td>
              <td>{allowed(k)}</td>
              <td>{k.expiresAt ? formatTime(k.expiresAt) : 'never'}</td>
              <td>{formatTime(k.createdAt)}</td>
              <td className="actions">
                {k.status !== 'revoked' &&
                  (confirming?.id === k.id ? (
                    <>
                      <button type="button" className="danger" onClick={() => act(k.id, confirming.action)}>
                        {confirming.action === 'rotate' ? `Rotate ${k.id} now` : `Revoke ${k.id} now`}
                      </button>
                      <button type="button" onClick={() => setConfirming(undefined)}>
                        Cancel
                      </button>
                    </>
                  ) : (
                    <>
                      <button type="button" onClick={() => setEditing(editing === k.id ? undefined : k.id)} aria-label={`Edit ${k.id}`}>
                        Edit
                      </button>
                      <button type="button" onClick={() => setConfirming({ id: k.id, action: 'rotate' })} aria-label={`Rotate ${k.id}`}>
                        Rotate
                      </button>
                      <button type="button" onClick={() => setConfirming({ id: k.id, action: 'revoke' })} aria-label={`Revoke ${k.id}`}>
                        Revoke
                      </button>
                    </>
                  ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {message && (
        <p role="status" data-testid="keys-message">
          {message}
        </p>
      )}
      {editing && keys.find((k) => k.id === editing) && (
        <>
          <h2>Edit {editing}</h2>
          <KeyForm key={editing} initial={keys.find((k) => k.id === editing)!} onSubmit={update(editing)} onCancel={() => setEditing(undefined)} submitLabel="Save key" />
        </>
      )}
      {creating ? (
        <>
          <h2>New key for tenant {tenantId}</h2>
          <KeyForm onSubmit={create} onCancel={() => setCreating(false)} submitLabel="Create key" canMintAdmin={admin} />
        </>
      ) : (
        <p>
          <button type="button" onClick={() => setCreating(true)}>
            New key…
          </button>
        </p>
      )}
      <p className="hint">
        Rotating makes a new secret with the same settings and revokes the old one at once (<code>twin-server keys rotate --grace</code> keeps it
        working a while). Revoked keys answer 401 from their next request; they stay listed for the audit trail.
      </p>
      <PricingSection editable={admin} />
    </section>
  );
}
