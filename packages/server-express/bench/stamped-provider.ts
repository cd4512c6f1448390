import type { Provider, ProviderRequest, ProviderStreamOptions, StreamPart } from '@twin/core';

/** Wall-clock milliseconds with sub-ms precision, comparable across processes on one machine. */
export const wallNow = (): number => performance.timeOrigin + performance.now();

/**
 * Bench instrumentation: appends `|<emission time>|` to every text delta the wrapped provider
 * emits, so the load generator can measure delivery latency (receipt − provider emission) over the
 * whole server path: session buffering, SSE writing, the socket, parsing. Pushed parts
 * (`streamParts`) are stamped as they are handed over, so the instrumentation keeps the server's
 * push path; pulled ones through a plain mapping iterator, not an async generator.
 */
export function stampedProvider(inner: Provider): Provider {
  const pushed = inner.streamParts?.bind(inner);
  return {
    name: inner.name,
    ...(inner.defaultModel ? { defaultModel: inner.defaultModel } : {}),
    stream(request, options): AsyncIterable<StreamPart> {
      return new StampingIterator(inner.stream(request, options)[Symbol.asyncIterator]());
    },
    ...(pushed
      ? {
          streamParts(request: ProviderRequest, options: ProviderStreamOptions, onParts: (parts: readonly StreamPart[]) => void): Promise<void> {
            return pushed(request, options, (parts) => onParts(stampAll(parts)));
          },
        }
      : {}),
  };
}

/** The parts with their text deltas stamped (the same array when there is none). */
function stampAll(parts: readonly StreamPart[]): readonly StreamPart[] {
  let out: StreamPart[] | undefined;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part.type !== 'text-delta') continue;
    out ??= parts.slice();
    out[i] = stamp(part.text);
  }
  return out ?? parts;
}

const stamp = (text: string): StreamPart => ({ type: 'text-delta', text: `${text}|${wallNow().toFixed(1)}|` });

/** Maps a pulled stream's parts (one object per stream: the bench server's sources run under tsx, which names every closure). */
class StampingIterator implements AsyncIterableIterator<StreamPart> {
  constructor(private readonly source: AsyncIterator<StreamPart>) {}
  next(): Promise<IteratorResult<StreamPart>> {
    return this.source.next().then(stampResult);
  }
  return(value?: unknown): Promise<IteratorResult<StreamPart>> {
    return this.source.return?.(value) ?? Promise.resolve({ done: true, value: undefined });
  }
  [Symbol.asyncIterator](): AsyncIterableIterator<StreamPart> {
    return this;
  }
}

function stampResult(r: IteratorResult<StreamPart>): IteratorResult<StreamPart> {
  return r.done || r.value.type !== 'text-delta' ? r : { done: false, value: stamp(r.value.text) };
}

/** Every stamp in a chunk's data (a coalesced chunk may carry several). */
export function readStamps(data: string, out: number[]): void {
  const re = /\|(\d+\.\d)\|/g;
  for (let m = re.exec(data); m; m = re.exec(data)) out.push(Number(m[1]));
}
