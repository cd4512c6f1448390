import { useState, type FormEvent } from 'react';

/**
 * A form's submit handler around `action` (given the form's data): `busy` while it runs (the
 * submit button is disabled), `error` what it threw (for FieldError and FormError), cleared on
 * the next try.
 */
export function useSubmit(action: (form: FormData) => Promise<void>): { busy: boolean; error: unknown; submit: (e: FormEvent<HTMLFormElement>) => Promise<void> } {
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setBusy(true);
    setError(undefined);
    try {
      await action(form);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, submit };
}
