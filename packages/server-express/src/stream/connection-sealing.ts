import type { PayloadSealer } from '@twin/core';

/**
 * Payload sealing for one connection: a fresh sealer per connection (compression contexts and the
 * cipher chain live per connection), plus what the `start` event announces.
 */
export interface ConnectionSealing {
  sealer: PayloadSealer;
  codec?: 'identity' | 'gzip' | 'deflate';
  alg?: 'aes-256-gcm' | 'xchacha20-poly1305';
  kid?: string;
}

/** Makes the sealing of each new connection of a stream (the first one and every resume). */
export type SealingFactory = () => ConnectionSealing;
