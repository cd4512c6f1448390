import type { StreamPart } from '../protocol/stream-part';
import { bodyReadError } from './provider-error';

/** A provider's event translator, as {@link mapEventBatches} drives it. */
export interface EventBatchMapper {
  /** True once the provider's terminal event arrived; nothing after it is read. */
  readonly done: boolean;
  /** Appends the parts for one parsed event to `out`; may throw a typed error (an `error` event). */
  map(event: unknown, out: StreamPart[]): void;
  /**
   * For providers without a terminal event (Gemini): true when the body ending now is a whole
   * stream. The body is then read to its end, and the terminal part asked for if this is true.
   */
  readonly complete?: boolean;
  /** The terminal part, asked for once `done` (or `complete` at the end of the body). */
  finish(): StreamPart;
}

/**
 * Maps batches of parsed provider events to batches of parts: one batch of parts per batch of
 * events, so a network read costs one async step, not one per event (the hot path). Stops at the
 * terminal event (leaving the loop cancels the body) and then yields the terminal part on its own.
 * A stream that ends without it yields no terminal part (the guard reports it truncated). On a
 * failure the parts mapped so far are handed over first, then the error, typed by {@link bodyReadError}.
 */
export async function* mapEventBatches(
  batches: AsyncIterable<readonly unknown[]>,
  mapper: EventBatchMapper,
  provider: string,
): AsyncGenerator<StreamPart[]> {
  let out: StreamPart[] = [];
  try {
    for await (const batch of batches) {
      for (let i = 0; i < batch.length && !mapper.done; i++) mapper.map(batch[i], out);
      if (out.length) {
        yield out;
        out = [];
      }
      if (mapper.done) break;
    }
  } catch (error) {
    if (out.length) yield out;
    throw bodyReadError(provider, error);
  }
  if (mapper.done || mapper.complete) yield [mapper.finish()];
}
