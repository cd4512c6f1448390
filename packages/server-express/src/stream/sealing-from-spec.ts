import { createPayloadSealer, type CipherAlg, type Keyring } from '@twin/core';
import { createNodeAead } from '../crypto/node-aead';
import type { SealingFactory } from './connection-sealing';
import type { SealingSpec } from './live-stream-deps';

// node:crypto AEAD for sealing on the server (stateless; one per process).
const NODE_AEAD = createNodeAead();

/**
 * The sealing factory of a stream from what its client asked for (codec, encryption alg): each
 * connection of the stream (the first, every resume, on this instance or another one of the
 * cluster) gets its own core payload sealer. Undefined when nothing is sealed. The keyring must
 * hold the key (requests are validated before; a cluster shares `TWIN_CIPHER_KEYS`).
 */
export function sealingFromSpec(streamId: string, spec: SealingSpec | undefined, keyring: Keyring | undefined): SealingFactory | undefined {
  const codec = spec?.codec as 'identity' | 'gzip' | 'deflate' | 'auto' | undefined;
  const alg = spec?.alg as CipherAlg | undefined;
  if ((codec === undefined || codec === 'identity') && alg === undefined) return undefined;
  const cipher = alg && keyring ? { keyring, alg } : undefined;
  return () => {
    const sealer = createPayloadSealer({ streamId, codec: codec ?? 'identity', aead: NODE_AEAD, ...(cipher ? { cipher } : {}) });
    return {
      sealer,
      ...(codec && codec !== 'auto' && codec !== 'identity' ? { codec } : {}),
      ...(codec === 'auto' ? { codec: 'deflate' as const } : {}),
      ...(cipher ? { alg: cipher.alg, kid: cipher.keyring.current().id } : {}),
    };
  };
}
