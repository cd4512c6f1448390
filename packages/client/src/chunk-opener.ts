import type { SealedFields } from '@twin/core';

/**
 * Undoes what the server did to a sealed payload (base64 → decrypt → decompress) and returns the
 * JSON value inside. `@twin/core`'s `createPayloadOpener` returns one. It must throw (a `TwinError`
 * with `decrypt_failed`, `decode_failed` or `unknown_key`) for a frame it cannot open — never return
 * garbage.
 */
export interface ChunkOpener {
  /**
   * `complete` and `error` are the sealed endings of encrypted streams (protocol 2): the opened
   * value is the terminal event's fields, authenticated as the last frame of the connection's chain.
   */
  open(event: 'chunk' | 'resync' | 'complete' | 'error', seq: number, sealed: SealedFields): unknown;
}

/**
 * Makes the opener for one connection. The client calls it again on every (re)connection, because
 * compression contexts live per connection: a resumed connection starts a fresh decompressor.
 *
 * Opt-in so that apps which never receive sealed chunks do not ship codecs and ciphers:
 * `decode: ({ streamId }) => createPayloadOpener({ streamId, keyring })`.
 */
export type ChunkOpenerFactory = (context: { streamId: string }) => ChunkOpener;
