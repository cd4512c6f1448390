import { z } from 'zod';

/**
 * The character set of names (provider, model, purpose): ASCII letters and digits, then also
 * `. _ : / @ + -`. That covers every provider's model ids (`gpt-4o-mini`, `llama3.1:8b`,
 * `models/gemini-2.0-flash`, `anthropic.claude-3@2024`) while keeping CR/LF, NUL, spaces and
 * quotes out of stored records, log lines, metrics labels and SSE fields.
 */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/@+-]*$/;

/** A provider, model or purpose name of at most `max` characters (see {@link NAME_PATTERN}). */
export function nameSchema(max: number) {
  return z.string().min(1).max(max).regex(NAME_PATTERN, 'letters, digits and . _ : / @ + - (starting with a letter or digit)');
}

/**
 * The end user a request is made for (OpenAI's `user`, Anthropic's `metadata.user_id`): an id the
 * caller chose, stored on the billing record, grouped by in reports and budgeted per user. It is
 * shown in reports and alerts, so it must not be a secret: pass an opaque or hashed id, never an
 * email address or a token you would not print. Same characters as {@link NAME_PATTERN}, at most 128.
 */
export const endUserIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(NAME_PATTERN, 'letters, digits and . _ : / @ + - (starting with a letter or digit), at most 128');

/** Keys of caller metadata: letters, digits and `. _ : -`, at most 64 characters. */
export const metadataKeySchema = z
  .string()
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'letters, digits and . _ : - (starting with a letter or digit), at most 64');

// C0 controls other than TAB, and DEL: a NUL cannot even be stored (Postgres text and jsonb refuse it).
function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return true;
  }
  return false;
}

/** Values of caller metadata: any text up to 1,024 characters except control characters. */
export const metadataValueSchema = z
  .string()
  .max(1_024)
  .refine((s) => !hasControl(s), 'no control characters (NUL, CR, LF, ...)');
