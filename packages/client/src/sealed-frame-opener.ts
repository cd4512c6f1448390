import type { SealedFields } from '@twin/core';
import type { ChunkOpener } from './chunk-opener';
import type { WireEvent } from './parse-wire-event';
import type { StreamOptions } from './stream-options';
import { toClientError, TwinClientError } from './twin-client-error';

/** A sealed frame as parsed off the wire: sealed content, or the seal of an encrypted stream's ending. */
export type SealedWireEvent = Extract<WireEvent, { sealed: unknown }> | { type: 'complete' | 'error'; seq: number; sealed: SealedFields };

/**
 * Opens the sealed frames of ONE connection: compression contexts are per connection, so each
 * connection gets its own opener (made lazily, on its first sealed frame, with the stream's id).
 * Any failure is a non-retryable client error: no reconnect could fix a missing `decode` option,
 * a bad keyring or a frame that does not open.
 */
export function createSealedFrameOpener(decode: StreamOptions['decode'], streamId: () => string | undefined): (wire: SealedWireEvent) => unknown {
  let opener: ChunkOpener | undefined;
  return (wire) => {
    if (!decode) {
      throw new TwinClientError('decode_failed', 'Sealed chunk, but no `decode` option');
    }
    const id = streamId();
    if (id === undefined) throw new TwinClientError('decode_failed', 'Sealed chunk before start');
    try {
      opener ??= decode({ streamId: id });
      return opener.open(wire.type, wire.seq, wire.sealed);
    } catch (error) {
      // Also a throwing `decode` factory (bad keyring): no reconnect could fix either.
      throw toClientError(error, 'decrypt_failed');
    }
  };
}
