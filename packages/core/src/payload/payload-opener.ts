import { decodeBase64 } from '../codec/base64';
import { describeValue } from '../codec/describe-value';
import { createFrameDecompressor, type FrameDecompressor } from '../codec/frame-decompressor';
import { decodeUtf8 } from '../codec/utf8';
import { assertAeadBackend, type AeadBackend } from '../cipher/aead-backend';
import { assertNonEmptyString } from '../cipher/argument-guards';
import { deriveStreamKey } from '../cipher/derive-stream-key';
import { openFrame } from '../cipher/frame-cipher';
import { frameAssociatedData } from '../cipher/frame-associated-data';
import type { Keyring, KeyringEntry } from '../cipher/keyring';
import { nobleAead } from '../cipher/noble-aead';
import { isTwinError, TwinError } from '../errors/twin-error';
import type { CipherAlg, CodecName, SealedFields } from '../protocol/stream-event';
import { safeParseJSON } from '../util/safe-parse-json';
import { assertEvent, assertSeq, type SealedEventType } from './payload-guards';

/** Opens the {@link SealedFields} of ONE received connection, in the order they arrive. */
export interface PayloadOpener {
  /**
   * base64 → decrypt (key `kid`, associated data = stream id, event, seq, previous seq, codec) →
   * decompress (this connection's context) → UTF-8 → JSON. Returns the parsed content. Throws a
   * `TwinError`: `decode_failed` (malformed field, bad base64/deflate/UTF-8/JSON), `decrypt_failed`
   * (tampered, truncated, reordered, replayed or dropped frame; wrong key; unencrypted frame where
   * a keyring expects encryption) or `unknown_key` (kid not in the keyring). After a failure every
   * later frame of the connection is refused too; reconnect and open with a new opener.
   */
  open(event: SealedEventType, seq: number, sealed: SealedFields): unknown;
}

export interface PayloadOpenerOptions {
  streamId: string;
  /** Keys to open encrypted frames. With a keyring, unencrypted frames are refused (no downgrade). */
  keyring?: Keyring;
  /** AEAD implementation (default: {@link nobleAead}, pure JS); opens frames sealed by any backend. */
  aead?: AeadBackend;
}

const CODECS: ReadonlySet<string> = new Set<CodecName>(['identity', 'gzip', 'deflate']);
const ALGS: ReadonlySet<string> = new Set<CipherAlg>(['aes-256-gcm', 'xchacha20-poly1305']);

/** Makes the opener for one received connection; the client makes a new one on every reconnect. */
export function createPayloadOpener(opts: PayloadOpenerOptions): PayloadOpener {
  if (typeof opts !== 'object' || opts === null) throw new TwinError('invalid_argument', `opts must be an object, got ${describeValue(opts)}`);
  const { streamId, keyring } = opts;
  assertNonEmptyString(streamId, 'opts.streamId');
  if (keyring !== undefined && typeof keyring?.get !== 'function') {
    throw new TwinError('invalid_argument', 'opts.keyring must be a keyring from createKeyring');
  }
  if (opts.aead !== undefined) assertAeadBackend(opts.aead, 'opts.aead');
  const aead = opts.aead ?? nobleAead;
  const decompressors = new Map<CodecName, FrameDecompressor>();
  const streamKeys = new Map<string, { entry: KeyringEntry; key: Uint8Array }>();
  let lastSeq = -1;
  let failure: TwinError | undefined;

  // HKDF once per (alg, keyring entry) of this stream, not per frame.
  const streamKeyFor = (entry: KeyringEntry, alg: CipherAlg): Uint8Array => {
    const cacheKey = `${alg}\u0000${entry.id}`;
    const cached = streamKeys.get(cacheKey);
    if (cached && cached.entry === entry) return cached.key;
    const key = deriveStreamKey(entry.key, streamId, alg);
    streamKeys.set(cacheKey, { entry, key });
    return key;
  };

  const openOne = (event: SealedEventType, seq: number, sealed: SealedFields): unknown => {
    const { codec, alg, kid, data } = readFields(sealed);
    if (seq <= lastSeq) {
      throw new TwinError(alg ? 'decrypt_failed' : 'decode_failed', `Frame seq ${seq} arrived after seq ${lastSeq}: replayed or reordered.`);
    }
    let bytes = decodeBase64(data);
    if (alg !== undefined) {
      if (!keyring) throw new TwinError('decrypt_failed', `Frame ${seq} is encrypted (${alg}) but this opener has no keyring.`);
      const entry = keyring.get(kid!);
      const associatedData = frameAssociatedData({ streamId, event, seq, prevSeq: lastSeq, codec, alg, kid: kid! });
      bytes = openFrame(alg, streamKeyFor(entry, alg), bytes, associatedData, aead);
    } else if (keyring) {
      throw new TwinError('decrypt_failed', `Frame ${seq} is not encrypted, but this opener expects encrypted frames.`);
    }
    let decompressor = decompressors.get(codec);
    if (!decompressor) {
      decompressor = createFrameDecompressor(codec);
      decompressors.set(codec, decompressor);
    }
    const parsed = safeParseJSON(decodeUtf8(decompressor.decompress(bytes)));
    if (!parsed.success) throw new TwinError('decode_failed', `Frame ${seq} does not hold valid JSON.`, { cause: parsed.error });
    lastSeq = seq;
    return parsed.value;
  };

  return {
    open(event, seq, sealed) {
      assertEvent(event);
      assertSeq(seq);
      if (failure) {
        throw new TwinError(failure.code, `An earlier frame of this connection could not be opened (${failure.code}); reconnect to continue.`, { cause: failure });
      }
      try {
        return openOne(event, seq, sealed);
      } catch (error) {
        // Later frames may depend on this one (compression context, cipher chain): stop here.
        failure = isTwinError(error) ? error : new TwinError('decode_failed', `Frame ${seq} could not be opened.`, { cause: error });
        throw failure;
      }
    },
  };
}

/** Checks the wire fields by hand (no zod on the client's hot path). */
function readFields(sealed: unknown): { codec: CodecName; alg: CipherAlg | undefined; kid: string | undefined; data: string } {
  if (typeof sealed !== 'object' || sealed === null) throw new TwinError('decode_failed', `sealed must be an object, got ${describeValue(sealed)}`);
  const { codec, alg, kid, data } = sealed as Record<string, unknown>;
  if (typeof codec !== 'string' || !CODECS.has(codec)) throw new TwinError('decode_failed', `sealed.codec must be 'identity', 'gzip' or 'deflate', got ${describeValue(codec)}`);
  if (typeof data !== 'string') throw new TwinError('decode_failed', `sealed.data must be a base64 string, got ${describeValue(data)}`);
  if (alg !== undefined && (typeof alg !== 'string' || !ALGS.has(alg))) throw new TwinError('decode_failed', `sealed.alg must be 'aes-256-gcm' or 'xchacha20-poly1305', got ${describeValue(alg)}`);
  if (alg !== undefined && (typeof kid !== 'string' || kid.length === 0)) throw new TwinError('decode_failed', 'sealed.kid must name the key of an encrypted frame');
  return { codec: codec as CodecName, alg: alg as CipherAlg | undefined, kid: kid as string | undefined, data };
}
