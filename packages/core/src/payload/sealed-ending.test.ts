import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createKeyring } from '../cipher/keyring';
import type { SealedFields } from '../protocol/stream-event';
import { createPayloadOpener } from './payload-opener';
import { createPayloadSealer } from './payload-sealer';
import type { SealedEventType } from './payload-guards';

const rnd = (n: number) => new Uint8Array(randomBytes(n));
const failsWith = (code: string) => expect.objectContaining({ name: 'TwinError', code });
const ring = createKeyring([{ id: 'k1', key: rnd(32) }]);

/** chunks 1..3, then the ending at seq 4, sealed on one connection. */
function connection(): Array<{ event: SealedEventType; seq: number; sealed: SealedFields }> {
  const sealer = createPayloadSealer({ streamId: 'st', codec: 'auto', cipher: { keyring: ring, alg: 'xchacha20-poly1305' }, randomBytes: rnd });
  const frames = [1, 2, 3].map((seq) => ({ event: 'chunk' as const, seq, sealed: sealer.seal('chunk', seq, { text: `part ${seq}` }) }));
  frames.push({ event: 'complete' as never, seq: 4, sealed: sealer.seal('complete', 4, { finishReason: 'stop' }) });
  return frames;
}

const openAll = (frames: ReturnType<typeof connection>) => {
  const opener = createPayloadOpener({ streamId: 'st', keyring: ring });
  return frames.map((f) => opener.open(f.event, f.seq, f.sealed));
};

describe('a sealed ending (the terminal event in the chain of frames)', () => {
  it('opens after every frame of its connection, giving back the ending fields', () => {
    expect(openAll(connection()).at(-1)).toEqual({ finishReason: 'stop' });
  });

  it('fails to open when the tail before it was dropped, even with the ending renumbered to follow', () => {
    const frames = connection();
    expect(() => openAll([frames[0]!, frames[3]!])).toThrowError(failsWith('decrypt_failed'));
    expect(() => openAll([frames[0]!, { ...frames[3]!, seq: 2 }])).toThrowError(failsWith('decrypt_failed'));
  });

  it('fails to open when renumbered, passed off as another event type, or as a chunk', () => {
    const frames = connection();
    expect(() => openAll([...frames.slice(0, 3), { ...frames[3]!, seq: 5 }])).toThrowError(failsWith('decrypt_failed'));
    expect(() => openAll([...frames.slice(0, 3), { ...frames[3]!, event: 'error' }])).toThrowError(failsWith('decrypt_failed'));
    expect(() => openAll([...frames.slice(0, 3), { ...frames[3]!, event: 'chunk' }])).toThrowError(failsWith('decrypt_failed'));
  });
});
