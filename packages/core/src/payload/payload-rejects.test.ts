import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeBase64, encodeBase64 } from '../codec/base64';
import { createKeyring, type Keyring } from '../cipher/keyring';
import type { CipherAlg, SealedFields } from '../protocol/stream-event';
import { createPayloadOpener } from './payload-opener';
import { createPayloadSealer } from './payload-sealer';

const rnd = (n: number) => new Uint8Array(randomBytes(n));
const failsWith = (code: string) => expect.objectContaining({ name: 'TwinError', code });

function sealedStream(alg: CipherAlg, ring: Keyring, count = 4): SealedFields[] {
  const sealer = createPayloadSealer({ streamId: 'st', codec: 'deflate', cipher: { keyring: ring, alg }, randomBytes: rnd });
  return Array.from({ length: count }, (_, i) => sealer.seal('chunk', i + 1, { text: `frame number ${i + 1} of the stream` }));
}

describe.each(['aes-256-gcm', 'xchacha20-poly1305'] as const)('%s: the opener rejects', (alg) => {
  const ring = createKeyring([{ id: 'k1', key: rnd(32) }]);
  const frames = sealedStream(alg, ring);
  const opener = () => createPayloadOpener({ streamId: 'st', keyring: ring });

  it('a flip of any byte of the sealed data (nonce, ciphertext, tag) with decrypt_failed', () => {
    const raw = decodeBase64(frames[0]!.data);
    for (let i = 0; i < raw.length; i++) {
      const tampered = raw.slice();
      tampered[i]! ^= 0x01;
      expect(() => opener().open('chunk', 1, { ...frames[0]!, data: encodeBase64(tampered) }), `byte ${i}`).toThrowError(failsWith('decrypt_failed'));
    }
  });

  it('a truncated frame', () => {
    const raw = decodeBase64(frames[0]!.data);
    expect(() => opener().open('chunk', 1, { ...frames[0]!, data: encodeBase64(raw.subarray(0, raw.length - 1)) })).toThrowError(failsWith('decrypt_failed'));
  });

  it('a frame replayed under another seq, a replay under the same seq, and reordered frames', () => {
    const o1 = opener();
    o1.open('chunk', 1, frames[0]!);
    expect(() => o1.open('chunk', 5, frames[0]!)).toThrowError(failsWith('decrypt_failed'));
    const o2 = opener();
    o2.open('chunk', 1, frames[0]!);
    expect(() => o2.open('chunk', 1, frames[0]!)).toThrowError(failsWith('decrypt_failed'));
    const o3 = opener();
    o3.open('chunk', 1, frames[0]!);
    expect(() => o3.open('chunk', 3, frames[2]!)).toThrowError(failsWith('decrypt_failed'));
  });

  it('a dropped frame: the next one no longer chains', () => {
    const o = opener();
    o.open('chunk', 1, frames[0]!);
    expect(() => o.open('chunk', 3, frames[2]!)).toThrowError(failsWith('decrypt_failed'));
  });

  it('another event type, another stream id, or an edited codec field', () => {
    expect(() => opener().open('resync', 1, frames[0]!)).toThrowError(failsWith('decrypt_failed'));
    expect(() => createPayloadOpener({ streamId: 'other', keyring: ring }).open('chunk', 1, frames[0]!)).toThrowError(failsWith('decrypt_failed'));
    expect(() => opener().open('chunk', 1, { ...frames[0]!, codec: 'gzip' })).toThrowError(failsWith('decrypt_failed'));
  });

  it('every frame after a failure, until a new opener is made', () => {
    const o = opener();
    expect(() => o.open('chunk', 1, { ...frames[0]!, kid: 'nope' })).toThrowError(failsWith('unknown_key'));
    expect(() => o.open('chunk', 1, frames[0]!)).toThrowError(failsWith('unknown_key'));
    expect(opener().open('chunk', 1, frames[0]!)).toEqual({ text: 'frame number 1 of the stream' });
  });

  it('an unencrypted frame when a keyring expects encryption (no downgrade), and an encrypted one without a keyring', () => {
    const plain = createPayloadSealer({ streamId: 'st', codec: 'identity' }).seal('chunk', 1, { text: 'x' });
    expect(() => opener().open('chunk', 1, plain)).toThrowError(failsWith('decrypt_failed'));
    expect(() => createPayloadOpener({ streamId: 'st' }).open('chunk', 1, frames[0]!)).toThrowError(failsWith('decrypt_failed'));
  });
});

describe('key rotation', () => {
  it('seals new frames with the newest key while old keys still open old frames; an unknown kid is unknown_key', () => {
    const ring = createKeyring([{ id: 'k1', key: rnd(32) }]);
    const sealer = createPayloadSealer({ streamId: 'st', codec: 'gzip', cipher: { keyring: ring, alg: 'aes-256-gcm' }, randomBytes: rnd });
    const a = sealer.seal('chunk', 1, { text: 'before' });
    ring.rotate({ id: 'k2', key: rnd(32) });
    const b = sealer.seal('chunk', 2, { text: 'after' });
    expect([a.kid, b.kid]).toEqual(['k1', 'k2']);
    const opener = createPayloadOpener({ streamId: 'st', keyring: ring });
    expect(opener.open('chunk', 1, a)).toEqual({ text: 'before' });
    expect(opener.open('chunk', 2, b)).toEqual({ text: 'after' });
    const onlyNew = createKeyring([{ id: 'k2', key: ring.get('k2').key }]);
    expect(() => createPayloadOpener({ streamId: 'st', keyring: onlyNew }).open('chunk', 1, a)).toThrowError(failsWith('unknown_key'));
  });
});

describe('without a cipher', () => {
  it('rejects malformed fields, bad base64, bad deflate and non-JSON with decode_failed', () => {
    const open = (sealed: unknown) => () => createPayloadOpener({ streamId: 's' }).open('chunk', 1, sealed as SealedFields);
    const b64 = (s: string) => encodeBase64(new TextEncoder().encode(s));
    expect(open({ codec: 'brotli', data: '' })).toThrowError(failsWith('decode_failed'));
    expect(open({ codec: 'identity' })).toThrowError(failsWith('decode_failed'));
    expect(open({ codec: 'identity', data: 'not base64!' })).toThrowError(failsWith('decode_failed'));
    expect(open({ codec: 'identity', data: b64('{"text": unterminated') })).toThrowError(failsWith('decode_failed'));
    expect(open({ codec: 'identity', data: encodeBase64(Uint8Array.of(0xff, 0xfe)) })).toThrowError(failsWith('decode_failed'));
    expect(open({ codec: 'deflate', data: encodeBase64(Uint8Array.of(0xff, 0xff, 0xff, 0xff)) })).toThrowError(failsWith('decode_failed'));
    expect(open({ codec: 'identity', alg: 'rot13', kid: 'k', data: '' })).toThrowError(failsWith('decode_failed'));
    expect(open(null)).toThrowError(failsWith('decode_failed'));
  });

  it('rejects a frame whose seq does not grow', () => {
    const sealer = createPayloadSealer({ streamId: 's', codec: 'deflate' });
    const opener = createPayloadOpener({ streamId: 's' });
    const first = sealer.seal('chunk', 4, { text: 'one' });
    opener.open('chunk', 4, first);
    expect(() => opener.open('chunk', 4, first)).toThrowError(failsWith('decode_failed'));
  });
});

describe('sealer guards and nonces', () => {
  const ring = createKeyring([{ id: 'k1', key: rnd(32) }]);

  it('draws a fresh nonce from randomBytes for every frame, never the same twice', () => {
    const requested: number[] = [];
    const sealer = createPayloadSealer({ streamId: 's', codec: 'identity', cipher: { keyring: ring, alg: 'aes-256-gcm' }, randomBytes: (n) => (requested.push(n), rnd(n)) });
    const nonces = new Set<string>();
    for (let seq = 1; seq <= 2_000; seq++) nonces.add(Buffer.from(decodeBase64(sealer.seal('chunk', seq, { text: 'same' }).data).subarray(0, 12)).toString('hex'));
    expect(nonces.size).toBe(2_000);
    // 16 nonces per draw: one call per 16 frames, each byte used once.
    expect(requested).toEqual(new Array(2_000 / 16).fill(12 * 16));
  });

  it('uses Web Crypto when no randomBytes is given', () => {
    const sealer = createPayloadSealer({ streamId: 's', codec: 'identity', cipher: { keyring: ring, alg: 'xchacha20-poly1305' } });
    const sealed = sealer.seal('chunk', 1, { text: 'x' });
    expect(createPayloadOpener({ streamId: 's', keyring: ring }).open('chunk', 1, sealed)).toEqual({ text: 'x' });
  });

  it('names each wrong argument', () => {
    const err = (message: string | RegExp) => expect.objectContaining({ code: 'invalid_argument', message: typeof message === 'string' ? message : expect.stringMatching(message) });
    expect(() => createPayloadSealer({ streamId: '', codec: 'gzip' })).toThrowError(err(/^opts\.streamId must be/));
    expect(() => createPayloadSealer({ streamId: 's', codec: 'lz4' as never })).toThrowError(err(/^opts\.codec must be/));
    expect(() => createPayloadSealer({ streamId: 's', codec: 'gzip', cipher: { keyring: ring, alg: 'des' as never } })).toThrowError(err(/^opts\.cipher\.alg must be/));
    const bad = createPayloadSealer({ streamId: 's', codec: 'gzip', cipher: { keyring: ring, alg: 'aes-256-gcm' }, randomBytes: () => new Uint8Array(8) });
    expect(() => bad.seal('chunk', 1, { text: 'x' })).toThrowError(err('opts.randomBytes(192) must return 192 bytes, got Uint8Array(8)'));
    // That frame entered the compression context but was never sent: the connection cannot go on.
    expect(() => bad.seal('chunk', 2, { text: 'y' })).toThrowError(expect.objectContaining({ code: 'internal' }));
    const sealer = createPayloadSealer({ streamId: 's', codec: 'gzip' });
    expect(() => sealer.seal('start' as never, 1, {})).toThrowError(err("event must be 'chunk', 'resync', 'complete' or 'error', got 'start'"));
    expect(() => sealer.seal('chunk', -1, {})).toThrowError(err('seq must be a non-negative integer, got -1'));
    expect(() => sealer.seal('chunk', 1, 'text' as never)).toThrowError(err('content must be an object, got string'));
    sealer.seal('chunk', 2, {});
    expect(() => sealer.seal('chunk', 2, {})).toThrowError(err('seq must grow on a connection: got 2 after 2'));
  });
});
