// Backslashes and double quotes, escaped in one pass (audit segments are JSON: quotes everywhere).
const ARRAY_ELEMENT_ESCAPES = /["\\]/g;

/**
 * A Postgres array literal (`{"a","b"}`), passed as ONE text parameter: both drivers send it as is,
 * and the `::type[]` cast in the statement parses it. Every element is quoted and escaped; `null`
 * and `undefined` become SQL NULL.
 */
export function pgArray(values: ReadonlyArray<string | number | null | undefined>): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ',';
    const v = values[i];
    if (v === null || v === undefined) out += 'NULL';
    else out += typeof v === 'number' ? String(v) : '"' + v.replace(ARRAY_ELEMENT_ESCAPES, '\\$&') + '"';
  }
  return out + '}';
}

/** A timestamp as an array element or json value (`null` stays null). */
export const isoOrNull = (d: Date | null | undefined) => (d ? d.toISOString() : null);
/** A json value as an array element (`null` and `undefined` stay null). */
export const jsonOrNull = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));
