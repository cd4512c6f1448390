import { useState } from 'react';
import { ApiError, api } from './api';
import type { AdminWhoAmI as WhoAmI } from './api-types';
import { ErrorMessage } from './error-message';
import { BudgetsPage } from './pages/budgets-page';
import { InvoicePage } from './pages/invoice-page';
import { InvoicesPage } from './pages/invoices-page';
import { KeysPage } from './pages/keys-page';
import { LivePage } from './pages/live-page';
import { SpendPage } from './pages/spend-page';
import { StreamPage } from './pages/stream-page';
import { TrafficPage } from './pages/traffic-page';
import { WebhooksPage } from './pages/webhooks-page';
import { currentKey, forgetKey, rememberKey } from './session-key';
import { href, useHashRoute } from './use-hash-route';
import { useSubmit } from './use-submit';

// The pages and who sees them: a tenant-admin key watches and manages its tenant; the webhook log
// is the server's (admin keys), as the API has it.
const PAGES = [
  ['live', 'Live', 'tenant-admin'],
  ['traffic', 'Traffic', 'tenant-admin'],
  ['spend', 'Spend', 'tenant-admin'],
  ['invoices', 'Invoices', 'tenant-admin'],
  ['budgets', 'Budgets & alerts', 'tenant-admin'],
  ['webhooks', 'Webhooks', 'admin'],
  ['keys', 'Keys & pricing', 'tenant-admin'],
] as const;

function signInMessage(err: unknown): string {
  return err instanceof ApiError && err.status === 403 ? 'This key is not an admin key: sign in with an admin or tenant-admin key.' : err instanceof ApiError && err.status === 401 ? 'Unknown or revoked key.' : String(err);
}

function SignIn({ onSignedIn }: { onSignedIn: (who: WhoAmI, key: string) => void }) {
  const { busy, error, submit } = useSubmit(async (f) => {
    const key = String(f.get('key') ?? '').trim();
    const who = await api<WhoAmI>('/api/admin/whoami', {}, key);
    rememberKey(key);
    onSignedIn(who, key);
  });
  return (
    <main className="signin">
      <h1>Twin admin</h1>
      <form onSubmit={submit}>
        <label>
          Admin API key
          <input name="key" type="password" autoComplete="off" placeholder="twin_sk_…" required />
        </label>
        <button type="submit" disabled={busy}>
          Sign in
        </button>
        <ErrorMessage message={error === undefined ? undefined : signInMessage(error)} />
        <p className="hint">
          First run? The key is in <code>.twin-data/dev-api-key</code>. It is kept for this tab only (memory and sessionStorage).
        </p>
      </form>
    </main>
  );
}

export function App() {
  const [session, setSession] = useState<{ who: WhoAmI; key: string } | undefined>();
  const [checked, setChecked] = useState(false);
  const route = useHashRoute();

  if (!session && !checked) {
    const key = currentKey();
    setChecked(true);
    if (key) {
      api<WhoAmI>('/api/admin/whoami', {}, key).then(
        (who) => setSession({ who, key }),
        () => forgetKey(),
      );
    }
  }
  if (!session) return <SignIn onSignedIn={(who, key) => setSession({ who, key })} />;

  const [page, arg] = route;
  const admin = session.who.role === 'admin';
  return (
    <div className="shell">
      <header>
        <strong>Twin admin</strong>
        <nav>
          {PAGES.filter(([, , role]) => role === 'tenant-admin' || admin).map(([id, label]) => (
            <a key={id} href={href(id)} aria-current={page === id ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <span className="who" data-testid="tenant">
          tenant {session.who.tenantId} · {session.who.role}
        </span>
        <button
          type="button"
          onClick={() => {
            forgetKey();
            setSession(undefined);
          }}
        >
          Sign out
        </button>
      </header>
      <main>
        {page === 'live' && <LivePage apiKey={session.key} />}
        {page === 'stream' && arg && <StreamPage id={arg} />}
        {page === 'traffic' && <TrafficPage />}
        {page === 'spend' && <SpendPage />}
        {page === 'invoices' && !arg && <InvoicesPage tenantId={session.who.tenantId} admin={admin} />}
        {page === 'invoices' && arg && <InvoicePage key={arg} number={arg} admin={admin} />}
        {page === 'budgets' && <BudgetsPage />}
        {page === 'webhooks' && admin && <WebhooksPage tenantId={session.who.tenantId} />}
        {page === 'keys' && <KeysPage tenantId={session.who.tenantId} apiKeyId={session.who.apiKeyId} admin={admin} />}
      </main>
    </div>
  );
}
