import { TwinError } from '@twin/core';
import { describeValue } from './describe-value';

function decode(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/**
 * The query string as one value per name. Stricter than `URLSearchParams`, which decodes a
 * percent-escape that is not UTF-8 (`%FF`) to U+FFFD without a word and lets the last of two equal
 * names win: both would change what the caller asked for, so both are a 400 naming the parameter.
 */
export function readQuery(url: URL): Record<string, string> {
  const out: Record<string, string> = {};
  const search = url.search.startsWith('?') ? url.search.slice(1) : url.search;
  if (search === '') return out;
  for (const pair of search.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const rawKey = eq === -1 ? pair : pair.slice(0, eq);
    const key = decode(rawKey);
    const value = decode(eq === -1 ? '' : pair.slice(eq + 1));
    if (key === undefined || value === undefined) {
      const field = key ?? rawKey;
      throw new TwinError('invalid_request', `Invalid query: ${describeValue(field)}: percent-encoded bytes that are not UTF-8.`, {
        details: { field, allowed: 'percent-encoded UTF-8' },
      });
    }
    if (Object.hasOwn(out, key)) {
      throw new TwinError('invalid_request', `Invalid query: ${describeValue(key)} given more than once.`, { details: { field: key } });
    }
    out[key] = value;
  }
  return out;
}
