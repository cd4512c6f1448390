import { ApiError, messageOf } from './api';

/** The API's complaint about one form field, shown beside it (nothing when the error is about another). */
export function FieldError({ error, field }: { error: unknown; field: string }) {
  if (!(error instanceof ApiError) || !error.concerns(field)) return null;
  // The API's sentence names the first field it refused; a later one gets its own issue's words.
  const first = error.field !== undefined && (error.field === field || error.field.startsWith(`${field}.`));
  const issue = error.issues.find((i) => i.field === field || i.field.startsWith(`${field}.`));
  const text = first || !issue ? error.message : `${issue.field}: ${issue.message}${issue.allowed ? ` (allowed: ${issue.allowed})` : ''}`;
  return (
    <span className="error field-error" role="alert" data-field={field}>
      {text}
    </span>
  );
}

/** An error no field of the form is named in (or no ApiError at all), shown under the form. */
export function FormError({ error, fields }: { error: unknown; fields: readonly string[] }) {
  if (error === undefined) return null;
  if (error instanceof ApiError && fields.some((f) => error.concerns(f))) return null;
  return (
    <p className="error" role="alert" data-testid="form-error">
      {messageOf(error)}
    </p>
  );
}
