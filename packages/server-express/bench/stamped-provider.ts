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
    stream(request, options): AsyncIterable<StreamPart> {
      // A plain mapping iterator, not an async generator: the instrumentation should not add an
      // async layer (promises and microtask hops per token) to the server path it measures.
      const source = inner.stream(request, options)[Symbol.asyncIterator]();
      const stamp = (r: IteratorResult<StreamPart>): IteratorResult<StreamPart> =>
        r.done || r.value.type !== 'text-delta' ? r : { done: false, value: { type: 'text-delta', text: `${r.value.text}|${wallNow().toFixed(1)}|` } };
      const iterator: AsyncIterableIterator<StreamPart> = {
        next: () => source.next().then(stamp),
        return: (value?: unknown) => source.return?.(value) ?? Promise.resolve({ done: true, value: undefined }),
        [Symbol.asyncIterator]: () => iterator,
      };
      return iterator;
    },
  };
}

/** Every stamp in a chunk's data (a coalesced chunk may carry several). */
export function readStamps(data: string, out: number[]): void {
  const re = /\|(\d+\.\d)\|/g;
  for (let m = re.exec(data); m; m = re.exec(data)) out.push(Number(m[1]));
}
