import type { PublicApiKey } from '../api-types';
import { FieldError, FormError } from '../field-error';
import { useSubmit } from '../use-submit';

/** The fields a key form sends: those of `PATCH /api/keys/:id`, plus `role` when creating. */
const KEY_FIELDS = ['name', 'role', 'requestsPerMinute', 'tokensPerMinute', 'allowedModels', 'allowedProviders', 'expiresAt'] as const;

const list = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

/** `""` → null (no limit); anything else is sent as typed, so the API's own 400 names a bad value. */
function limit(s: string): number | null | string {
  const t = s.trim();
  if (!t) return null;
  return /^-?\d+$/.test(t) ? Number(t) : t;
}

/** A `datetime-local` value (the browser's zone) as an ISO instant; `""` → null (never expires). */
function instant(s: string): string | null {
  if (!s) return null;
  const t = new Date(s);
  return Number.isNaN(t.getTime()) ? s : t.toISOString();
}

/** An ISO instant as a `datetime-local` value in the browser's zone. */
function localInput(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

/**
 * Creating or changing a key: name, role (creating only), limits, allow-lists and expiry. An empty
 * limit, list or expiry means none (sent as `null`). The API's refusals show beside their field.
 */
export function KeyForm({
  initial,
  onSubmit,
  onCancel,
  submitLabel,
  canMintAdmin = false,
}: {
  initial?: PublicApiKey;
  /** Only admin keys may create admin keys (the API refuses the others). */
  canMintAdmin?: boolean;
  onSubmit: (body: Record<string, unknown>) => Promise<void>;
  onCancel?: () => void;
  submitLabel: string;
}) {
  const creating = initial === undefined;

  const { busy, error, submit } = useSubmit(async (f) => {
    const text = (k: string) => String(f.get(k) ?? '');
    const body: Record<string, unknown> = {
      requestsPerMinute: limit(text('requestsPerMinute')),
      tokensPerMinute: limit(text('tokensPerMinute')),
      allowedModels: list(text('allowedModels')).length ? list(text('allowedModels')) : null,
      allowedProviders: list(text('allowedProviders')).length ? list(text('allowedProviders')) : null,
      expiresAt: instant(text('expiresAt')),
    };
    if (text('name').trim()) body.name = text('name').trim();
    if (creating) {
      body.role = text('role');
      // Nothing to clear on a new key: leave the "none" fields out.
      for (const k of Object.keys(body)) if (body[k] === null) delete body[k];
    }
    await onSubmit(body);
  });

  return (
    <form className="key-form" onSubmit={submit} data-testid={creating ? 'create-key-form' : 'edit-key-form'}>
      <label>
        Name
        <input name="name" defaultValue={initial?.name ?? ''} placeholder="ci, web app…" maxLength={200} />
        <FieldError error={error} field="name" />
      </label>
      {creating && (
        <label>
          Role
          <select name="role" defaultValue="member">
            <option value="member">member (streams, reads its tenant)</option>
            <option value="tenant-admin">tenant-admin (also manages the tenant&apos;s keys)</option>
            {canMintAdmin && <option value="admin">admin (everything, every tenant)</option>}
          </select>
          <FieldError error={error} field="role" />
        </label>
      )}
      <label>
        Requests / min
        <input name="requestsPerMinute" inputMode="numeric" defaultValue={initial?.requestsPerMinute ?? ''} placeholder="no limit" />
        <FieldError error={error} field="requestsPerMinute" />
      </label>
      <label>
        Tokens / min
        <input name="tokensPerMinute" inputMode="numeric" defaultValue={initial?.tokensPerMinute ?? ''} placeholder="no limit" />
        <FieldError error={error} field="tokensPerMinute" />
      </label>
      <label>
        Allowed models
        <input name="allowedModels" defaultValue={initial?.allowedModels?.join(', ') ?? ''} placeholder="all (comma-separated)" />
        <FieldError error={error} field="allowedModels" />
      </label>
      <label>
        Allowed providers
        <input name="allowedProviders" defaultValue={initial?.allowedProviders?.join(', ') ?? ''} placeholder="all (comma-separated)" />
        <FieldError error={error} field="allowedProviders" />
      </label>
      <label>
        Expires
        <input name="expiresAt" type="datetime-local" defaultValue={localInput(initial?.expiresAt ?? null)} />
        <FieldError error={error} field="expiresAt" />
      </label>
      <div className="actions">
        <button type="submit" disabled={busy}>
          {submitLabel}
        </button>
        {onCancel && (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
      <FormError error={error} fields={KEY_FIELDS} />
    </form>
  );
}
