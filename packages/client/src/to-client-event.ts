import type { TwinErrorCode } from '@twin/core';
import type { ClientStreamEvent } from './client-event';
import { checkContent, checkState, type WireEvent } from './parse-wire-event';
import type { SealedWireEvent } from './sealed-frame-opener';
import { TwinClientError } from './twin-client-error';

/**
 * The client event for one parsed wire event: sealed frames opened (`open`) and their content
 * checked, error events as {@link TwinClientError}s. With `requireEncryption`, a plain chunk or
 * resync throws (a downgrade). Call it for EVERY frame, before de-duplicating: a stateful
 * decompressor must see every frame of its connection.
 */
export function toClientEvent(wire: WireEvent, open: (wire: SealedWireEvent) => unknown, requireEncryption: boolean | undefined): ClientStreamEvent {
  if ('sealed' in wire) {
    const opened = open(wire);
    return wire.type === 'chunk' ? { type: 'chunk', seq: wire.seq, content: checkContent(opened) } : { type: 'resync', seq: wire.seq, state: checkState(opened) };
  }
  if (requireEncryption && (wire.type === 'chunk' || wire.type === 'resync')) {
    throw new TwinClientError('decrypt_failed', 'Plain chunk refused');
  }
  if (wire.type === 'error') {
    const d = wire.data;
    const error = new TwinClientError(d.code as TwinErrorCode, d.message, {
      retryable: d.retryable === true,
      provider: d.provider,
      retryAfterMs: d.retryAfterMs,
    });
    return d.usage ? { type: 'error', seq: wire.seq, error, usage: d.usage } : { type: 'error', seq: wire.seq, error };
  }
  return wire; // a plain start, chunk, resync or complete already has the event's shape
}
