/**
 * When `text` is written by JSON.stringify as itself between quotes (no `"`, `\`, control
 * character or surrogate: any of those, even a well-formed pair, takes JSON.stringify), the UTF-8
 * bytes it takes beyond one per UTF-16 unit; else -1. One pass does both: the check and the count
 * {@link utf8ByteLength} would make anyway.
 */
export function jsonVerbatimExtraBytes(text: string): number {
  let extra = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) {
      if (code < 0x20 || code === 0x22 || code === 0x5c) return -1;
    } else if (code < 0x800) {
      extra += 1;
    } else if (code >= 0xd800 && code <= 0xdfff) {
      return -1;
    } else {
      extra += 2;
    }
  }
  return extra;
}
