/** Deterministic PRNG for reproducible byte splits. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Cut points for `bytes`: random boundaries, plus one inside every multi-byte UTF-8 character
 * (after its lead byte), so every decoder on the path must reassemble split characters.
 */
export function splitPoints(bytes: Uint8Array, seed: number): number[] {
  const random = seeded(seed);
  const points = new Set<number>();
  for (let i = 1; i < bytes.length; i++) {
    const b = bytes[i - 1]!;
    if (b >= 0xc0) points.add(i); // i - 1 is a lead byte: cut before its continuation.
    else if (random() < 0.08) points.add(i);
  }
  return [...points].sort((x, y) => x - y);
}

export function splitBytes(bytes: Uint8Array, points: number[]): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  let at = 0;
  for (const p of points) {
    pieces.push(bytes.slice(at, p));
    at = p;
  }
  pieces.push(bytes.slice(at));
  return pieces;
}

/**
 * A `fetch` that answers every request with `bytes`, delivered as the given pieces (one per
 * microtask turn), and records the request bodies. Hands the same bytes to any client under test.
 */
export function splitFetch(
  bytes: Uint8Array,
  pieces: Uint8Array[] = [bytes],
  init: { status?: number; headers?: Record<string, string> } = {},
): typeof fetch & { bodies: unknown[] } {
  const bodies: unknown[] = [];
  const fn = async (_input: RequestInfo | URL, request?: RequestInit) => {
    if (typeof request?.body === 'string') bodies.push(JSON.parse(request.body));
    const signal = request?.signal;
    let i = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (signal?.aborted) {
          controller.error(signal.reason);
          return;
        }
        const piece = pieces[i++];
        if (piece === undefined) controller.close();
        else controller.enqueue(piece);
      },
    });
    return new Response(stream, {
      status: init.status ?? 200,
      headers: { 'content-type': 'text/event-stream', ...init.headers },
    });
  };
  return Object.assign(fn as typeof fetch, { bodies });
}
