/** Transport encodings the SSE response can use, best first. */
export type TransportEncoding = 'br' | 'gzip' | 'deflate' | 'identity';

const PREFERENCE: TransportEncoding[] = ['br', 'gzip', 'deflate'];

/**
 * Picks the transport compression from `Accept-Encoding` (RFC 9110 §12.5.3): the highest q-value
 * wins, ties go to br, then gzip, then deflate; `q=0` refuses an encoding; `*` stands for the rest.
 */
export function negotiateEncoding(header: string | undefined, allowed: readonly TransportEncoding[] = PREFERENCE): TransportEncoding {
  if (!header) return 'identity';
  const q = new Map<string, number>();
  for (const part of header.split(',')) {
    const [nameRaw, ...params] = part.trim().split(';');
    const name = nameRaw?.trim().toLowerCase();
    if (!name) continue;
    let weight = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(p);
      if (m) weight = Number(m[1]);
    }
    if (Number.isFinite(weight)) q.set(name, weight);
  }
  let best: TransportEncoding = 'identity';
  let bestQ = 0;
  for (const encoding of PREFERENCE) {
    if (!allowed.includes(encoding)) continue;
    const weight = q.get(encoding) ?? q.get('*') ?? 0;
    if (weight > bestQ) {
      best = encoding;
      bestQ = weight;
    }
  }
  return best;
}
