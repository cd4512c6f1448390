import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AeadBackend } from '../cipher/aead-backend';
import { deriveStreamKey } from '../cipher/derive-stream-key';
import { createKeyring } from '../cipher/keyring';
import { nobleAead } from '../cipher/noble-aead';
import { createPayloadOpener } from './payload-opener';
import { createPayloadSealer } from './payload-sealer';

const rnd = (n: number) => new Uint8Array(randomBytes(n));
const ALGS = ['aes-256-gcm', 'xchacha20-poly1305'] as const;

/** The real noble backend, wrapped to record the keys it is handed. */
function recording() {
  const keys: Uint8Array[] = [];
  const backend: AeadBackend = {
    name: 'recording',
    seal(alg, key, nonce, plaintext, aad) {
      keys.push(key);
      return nobleAead.seal(alg, key, nonce, plaintext, aad);
    },
    open(alg, key, nonce, sealed, aad) {
      keys.push(key);
      return nobleAead.open(alg, key, nonce, sealed, aad);
    },
  };
  return { backend, keys };
}

describe.each(ALGS)('payload sealer / opener with opts.aead, %s', (alg) => {
  it('seal and open through the injected backend, and interoperate with the default one', () => {
    const ring = createKeyring([{ id: 'k1', key: rnd(32) }]);
    const sealing = recording();
    const opening = recording();
    const sealer = createPayloadSealer({ streamId: 'st', codec: 'deflate', cipher: { keyring: ring, alg }, randomBytes: rnd, aead: sealing.backend });
    const injectedOpener = createPayloadOpener({ streamId: 'st', keyring: ring, aead: opening.backend });
    const defaultOpener = createPayloadOpener({ streamId: 'st', keyring: ring });
    for (let seq = 1; seq <= 5; seq++) {
      const sealed = sealer.seal('chunk', seq, { text: `frame ${seq}` });
      expect(injectedOpener.open('chunk', seq, sealed)).toEqual({ text: `frame ${seq}` });
      expect(defaultOpener.open('chunk', seq, sealed)).toEqual({ text: `frame ${seq}` });
    }
    expect([sealing.keys.length, opening.keys.length]).toEqual([5, 5]);

    const defaultSealer = createPayloadSealer({ streamId: 'st', codec: 'identity', cipher: { keyring: ring, alg }, randomBytes: rnd });
    const opener = createPayloadOpener({ streamId: 'st', keyring: ring, aead: recording().backend });
    expect(opener.open('resync', 9, defaultSealer.seal('resync', 9, { text: 'all so far' }))).toEqual({ text: 'all so far' });
  });

  it('derive the stream key once per keyring key, not per frame (HKDF stays off the per-frame path)', () => {
    const ring = createKeyring([{ id: 'k1', key: rnd(32) }]);
    const { backend, keys } = recording();
    const sealer = createPayloadSealer({ streamId: 'st_9', codec: 'identity', cipher: { keyring: ring, alg }, randomBytes: rnd, aead: backend });
    for (let seq = 1; seq <= 20; seq++) sealer.seal('chunk', seq, { text: 'x' });
    ring.rotate({ id: 'k2', key: rnd(32) });
    for (let seq = 21; seq <= 30; seq++) sealer.seal('chunk', seq, { text: 'y' });
    // One key object per keyring key: the same cached array for every frame, and it is the HKDF output.
    expect(new Set(keys).size).toBe(2);
    expect(keys.slice(0, 20).every((k) => k === keys[0])).toBe(true);
    expect(keys[0]).toEqual(deriveStreamKey(ring.get('k1').key, 'st_9', alg));
    expect(keys[29]).toEqual(deriveStreamKey(ring.get('k2').key, 'st_9', alg));
  });
});

describe('opts.aead guards', () => {
  it('names opts.aead when it is not a backend', () => {
    const ring = createKeyring([{ id: 'k1', key: rnd(32) }]);
    const err = expect.objectContaining({ code: 'invalid_argument', message: 'opts.aead must be an AeadBackend { name, seal, open }, got Object' });
    expect(() => createPayloadSealer({ streamId: 's', codec: 'identity', cipher: { keyring: ring, alg: 'aes-256-gcm' }, aead: { seal: () => new Uint8Array() } as never })).toThrowError(err);
    expect(() => createPayloadOpener({ streamId: 's', keyring: ring, aead: { name: 'x' } as never })).toThrowError(err);
  });
});
