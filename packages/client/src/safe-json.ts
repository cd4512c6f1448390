/**
 * Parses JSON from the wire without throwing: `undefined` when the text is not JSON.
 *
 * `@twin/core` has `safeParseJSON`, but importing it at runtime would bring core's bundle (and zod)
 * into every browser build, so the client keeps this three-line equivalent.
 */
export function safeJSON(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
