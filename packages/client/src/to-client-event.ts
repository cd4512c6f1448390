import type { TwinErrorCode } from '@twin/core';
import type { ClientStreamEvent } from './client-event';
import { checkContent, checkState, type WireEvent } from './parse-wire-event';
import type { SealedWireEvent } from './sealed-frame-opener';
import { TwinClientError } from './twin-client-error';

/**
 * The client event for one parsed wire event: sealed frames opened (`open`) and their content
 * checked, error events as {@link TwinClientError}s. With `requireEncryption.content`, a plain chunk
 * or resync throws (a downgrade); with `.ending`, so does a terminal event without its seal. A sealed ending is
 * opened as the last frame of the chain and its opened fields are the ones used, so a dropped,
 * truncated or renumbered tail fails (`decrypt_failed`). Call it for EVERY frame, before
 * de-duplicating: a stateful decompressor must see every frame of its connection.
 */
export function toClientEvent(
  wire: WireEvent,
  open: (wire: SealedWireEvent) => unknown,
  requireEncryption: { content: boolean; ending: boolean } | boolean | undefined,
): ClientStreamEvent {
  const required = typeof requireEncryption === 'object' ? requireEncryption : { content: requireEncryption === true, ending: requireEncryption === true };
  if ('sealed' in wire) {
    const opened = open(wire);
    return wire.type === 'chunk' ? { type: 'chunk', seq: wire.seq, content: checkContent(opened) } : { type: 'resync', seq: wire.seq, state: checkState(opened) };
  }
  if (required.content && (wire.type === 'chunk' || wire.type === 'resync')) {
    throw new TwinClientError('decrypt_failed', 'Plain chunk refused');
  }
  if (wire.type === 'complete' || wire.type === 'error') {
    if (wire.seal) {
      const opened = open({ type: wire.type, seq: wire.seq, sealed: wire.seal });
      if (typeof opened !== 'object' || opened === null || Array.isArray(opened)) throw new TwinClientError('decrypt_failed', 'Sealed ending is not an object');
      wire = { ...wire, data: { ...(opened as object), v: wire.data.v, seq: wire.seq } } as typeof wire;
    } else if (required.ending) {
      throw new TwinClientError('decrypt_failed', 'Unsealed ending refused');
    }
  }
  if (wire.type === 'error') {
    const d = wire.data;
    const error = new TwinClientError(d.code as TwinErrorCode, d.message, {
      retryable: d.retryable === true,
      provider: d.provider,
      retryAfterMs: d.retryAfterMs,
    });
    return { type: 'error', seq: wire.seq, error, ...(d.usage ? { usage: d.usage } : {}), ...(d.cost ? { cost: d.cost } : {}) };
  }
  if (wire.type === 'complete') return { type: 'complete', seq: wire.seq, data: wire.data };
  return wire; // a plain start, chunk or resync already has the event's shape
}
