import type { Provider, StreamPart } from '@twin/core';

/** Wall-clock milliseconds with sub-ms precision, comparable across processes on one machine. */
export const wallNow = (): number => performance.timeOrigin + performance.now();

/**
 * Bench instrumentation: appends `|<emission time>|` to every text delta the wrapped provider
 * emits, so the load generator can measure delivery latency (receipt − provider emission) over the
 * whole server path: session buffering, SSE writing, the socket, parsing.
 */
export function stampedProvider(inner: Provider): Provider {
  return {
    name: inner.name,
    ...(inner.defaultModel ? { defaultModel: inner.defaultModel } : {}),
    async *stream(request, options): AsyncGenerator<StreamPart> {
      for await (const part of inner.stream(request, options)) {
        yield part.type === 'text-delta' ? { type: 'text-delta', text: `${part.text}|${wallNow().toFixed(1)}|` } : part;
      }
    },
  };
}

/** Every stamp in a chunk's data (a coalesced chunk may carry several). */
export function readStamps(data: string, out: number[]): void {
  const re = /\|(\d+\.\d)\|/g;
  for (let m = re.exec(data); m; m = re.exec(data)) out.push(Number(m[1]));
}
