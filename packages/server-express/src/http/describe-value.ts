/** Longest excerpt of a received value an error message quotes. */
export const MAX_QUOTED_CHARS = 60;

// JSON.stringify escapes C0 controls; DEL, C1 controls and the two JS line separators stay raw.
const UNSAFE = /[\u007f-\u009f\u2028\u2029]/g;

/**
 * A received value as an error message may quote it: JSON-like, control characters escaped (so a
 * CR/LF or NUL in the value cannot forge log lines or headers), cut to {@link MAX_QUOTED_CHARS}.
 */
export function describeValue(value: unknown): string {
  let text: string;
  if (value === undefined) return 'nothing';
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) text = String(value);
  else if (Array.isArray(value)) text = `an array of ${value.length}`;
  else if (typeof value === 'object') text = 'an object';
  else text = JSON.stringify(String(value)) ?? String(value);
  text = text.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return text.length > MAX_QUOTED_CHARS ? `${text.slice(0, MAX_QUOTED_CHARS - 1)}…` : text;
}
