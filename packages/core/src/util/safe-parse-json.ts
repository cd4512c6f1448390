import type { z } from 'zod';

export type ParseResult<T> = { success: true; value: T } | { success: false; error: Error };

/**
 * Parses JSON from the wire without throwing. With a schema, the value is also validated, so a
 * caller gets either a typed value or an error that names what was wrong.
 */
export function safeParseJSON(text: string): ParseResult<unknown>;
export function safeParseJSON<S extends z.ZodType>(text: string, schema: S): ParseResult<z.infer<S>>;
export function safeParseJSON(text: string, schema?: z.ZodType): ParseResult<unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { success: false, error: error instanceof Error ? error : new Error(String(error)) };
  }
  if (!schema) return { success: true, value };
  const result = schema.safeParse(value);
  return result.success
    ? { success: true, value: result.data }
    : { success: false, error: new Error(result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')) };
}
