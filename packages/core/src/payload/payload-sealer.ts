import { createAutoCodecPolicy, type AutoCodecPolicy } from '../codec/auto-codec-policy';
import { encodeBase64 } from '../codec/base64';
import { describeValue } from '../codec/describe-value';
import { createFrameCompressor, type FrameCompressor } from '../codec/frame-compressor';
import { encodeUtf8 } from '../codec/utf8';
import { assertAeadBackend, type AeadBackend } from '../cipher/aead-backend';
import { assertCipherAlg, assertNonEmptyString } from '../cipher/argument-guards';
import { deriveStreamKey } from '../cipher/derive-stream-key';
import { CIPHER_NONCE_BYTES, sealFrame } from '../cipher/frame-cipher';
import { frameAssociatedData } from '../cipher/frame-associated-data';
import type { Keyring, KeyringEntry } from '../cipher/keyring';
import { nobleAead } from '../cipher/noble-aead';
import { TwinError } from '../errors/twin-error';
import type { CipherAlg, CodecName, SealedFields } from '../protocol/stream-event';
import { createNonceSource } from './nonce-source';
import { assertEvent, assertSeq, type SealedEventType } from './payload-guards';

/** Turns the content of `chunk` / `resync` events into {@link SealedFields} for ONE SSE connection. */
export interface PayloadSealer {
  /**
   * JSON → UTF-8 → compress (this connection's context) → encrypt (per-stream key of the newest
   * keyring key) → base64. Frames must be sealed in the order they are sent, with growing `seq`,
   * and every sealed frame must be sent: the compression context and the cipher chain both assume
   * the receiver sees exactly these frames in this order.
   */
  seal(event: SealedEventType, seq: number, content: object): SealedFields;
}

export interface PayloadSealerOptions {
  streamId: string;
  /**
   * `auto` compresses a frame (`deflate`) only when the running estimate says it pays; otherwise
   * the frame is `identity`. Without a cipher, an `identity` result may be sent as a plain chunk
   * instead (its content in clear, no base64): identity frames never touch the compression context.
   */
  codec: CodecName | 'auto';
  /** Encrypt with the keyring's current key; omit to only encode. */
  cipher?: { keyring: Keyring; alg: CipherAlg };
  /**
   * Cryptographic random bytes for nonces. Defaults to Web Crypto `getRandomValues`. Called for 16
   * nonces at a time (192 or 384 bytes), since each call costs about as much as a native seal.
   */
  randomBytes?: (n: number) => Uint8Array;
  /**
   * AEAD implementation (default: {@link nobleAead}, pure JS). A Node server can pass a native one
   * (`createNodeAead()` from @twin/server-express: ~3× faster per AES-256-GCM frame); the sealed bytes are the
   * same, so the receiver does not need to know.
   */
  aead?: AeadBackend;
}

/**
 * Makes the sealer for one SSE connection. A resumed connection gets a new sealer (and the client a
 * new opener): compression contexts and the frame chain live per connection (docs/design.md).
 */
export function createPayloadSealer(opts: PayloadSealerOptions): PayloadSealer {
  if (typeof opts !== 'object' || opts === null) throw new TwinError('invalid_argument', `opts must be an object, got ${describeValue(opts)}`);
  const { streamId, codec, cipher } = opts;
  assertNonEmptyString(streamId, 'opts.streamId');
  if (codec !== 'auto' && codec !== 'identity' && codec !== 'gzip' && codec !== 'deflate') {
    throw new TwinError('invalid_argument', `opts.codec must be 'identity', 'gzip', 'deflate' or 'auto', got ${describeValue(codec)}`);
  }
  if (cipher !== undefined) {
    if (typeof cipher !== 'object' || cipher === null || typeof cipher.keyring?.current !== 'function') {
      throw new TwinError('invalid_argument', 'opts.cipher must be { keyring, alg } with a keyring from createKeyring');
    }
    assertCipherAlg(cipher.alg, 'opts.cipher.alg');
  }
  const nextNonce = cipher ? createNonceSource(resolveRandom(opts.randomBytes), CIPHER_NONCE_BYTES[cipher.alg]) : undefined;
  if (opts.aead !== undefined) assertAeadBackend(opts.aead, 'opts.aead');
  const aead = opts.aead ?? nobleAead;

  const policy: AutoCodecPolicy | undefined = codec === 'auto' ? createAutoCodecPolicy({ encrypted: cipher !== undefined }) : undefined;
  const compressors = new Map<CodecName, FrameCompressor>();
  const streamKeys = new Map<string, { entry: KeyringEntry; key: Uint8Array }>();
  let prevSeq = -1;
  let broken: unknown;

  // HKDF runs once per (keyring entry, stream), not per frame: a sealer has one alg, so the entry
  // alone keys the cache; a rotation derives once for the new entry.
  const streamKeyFor = (entry: KeyringEntry, alg: CipherAlg): Uint8Array => {
    const cached = streamKeys.get(entry.id);
    // Compare the entry itself: a removed and re-added id may carry another key.
    if (cached && cached.entry === entry) return cached.key;
    const key = deriveStreamKey(entry.key, streamId, alg);
    streamKeys.set(entry.id, { entry, key });
    return key;
  };

  return {
    seal(event, seq, content) {
      assertEvent(event);
      assertSeq(seq);
      if (seq <= prevSeq) throw new TwinError('invalid_argument', `seq must grow on a connection: got ${seq} after ${prevSeq}`);
      if (broken !== undefined) {
        throw new TwinError('internal', 'An earlier frame failed after entering the compression context; this connection cannot continue.', { cause: broken });
      }
      const json = stringify(content);
      const plain = encodeUtf8(json);
      const frameCodec: CodecName = policy ? policy.choose(plain.length) : codec as CodecName;

      let compressor = compressors.get(frameCodec);
      if (!compressor) {
        compressor = createFrameCompressor(frameCodec);
        compressors.set(frameCodec, compressor);
      }
      try {
        const encoded = compressor.compress(plain);
        if (policy && frameCodec !== 'identity') policy.record(plain.length, encoded.length);
        const chainedAfter = prevSeq;
        prevSeq = seq;
        if (!cipher) return { codec: frameCodec, data: encodeBase64(encoded) };

        const entry = cipher.keyring.current();
        const nonce = nextNonce!();
        const associatedData = frameAssociatedData({ streamId, event, seq, prevSeq: chainedAfter, codec: frameCodec, alg: cipher.alg, kid: entry.id });
        const sealed = sealFrame(cipher.alg, streamKeyFor(entry, cipher.alg), nonce, encoded, associatedData, aead);
        return { codec: frameCodec, alg: cipher.alg, kid: entry.id, data: encodeBase64(sealed) };
      } catch (error) {
        // The frame is in the compression context (and the chain) but will not be sent.
        broken = error;
        throw error;
      }
    },
  };
}

function stringify(content: unknown): string {
  if (typeof content !== 'object' || content === null) {
    throw new TwinError('invalid_argument', `content must be an object, got ${describeValue(content)}`);
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(content);
  } catch (error) {
    throw new TwinError('invalid_argument', 'content must be JSON-serialisable.', { cause: error });
  }
  if (typeof json !== 'string') throw new TwinError('invalid_argument', 'content must be JSON-serialisable.');
  return json;
}

function resolveRandom(randomBytes: ((n: number) => Uint8Array) | undefined): (n: number) => Uint8Array {
  if (randomBytes !== undefined && typeof randomBytes !== 'function') {
    throw new TwinError('invalid_argument', `opts.randomBytes must be a function, got ${describeValue(randomBytes)}`);
  }
  const source =
    randomBytes ??
    (() => {
      const webCrypto = (globalThis as { crypto?: { getRandomValues?: (a: Uint8Array) => Uint8Array } }).crypto;
      if (typeof webCrypto?.getRandomValues !== 'function') {
        throw new TwinError('invalid_argument', 'opts.randomBytes is required where Web Crypto getRandomValues is not available');
      }
      return (n: number) => webCrypto.getRandomValues!(new Uint8Array(n));
    })();
  // A broken source (wrong length, not bytes) would silently weaken every nonce: check each call.
  return (n) => {
    const bytes = source(n);
    if (!(bytes instanceof Uint8Array) || bytes.length !== n) {
      throw new TwinError('invalid_argument', `opts.randomBytes(${n}) must return ${n} bytes, got ${describeValue(bytes)}`);
    }
    return bytes;
  };
}
