import { TwinError } from '../errors/twin-error';
import { describeValue as describe } from './describe-value';

// Standard base64 (RFC 4648 §4, with padding) without Buffer or btoa/atob: Buffer does not exist in
// browsers, and btoa needs a binary string built char by char, which is slow for large frames
// (measured in bench/codec.bench.ts). Tables are built lazily so importing this file has no effect.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const INVALID = 255;

let encodePairs: Uint16Array | undefined; // 12-bit value → two ASCII codes packed
let decodeTable: Uint8Array | undefined; // char code → 6-bit value or INVALID
let asciiDecoder: TextDecoder | undefined;

function getEncodePairs(): Uint16Array {
  if (!encodePairs) {
    encodePairs = new Uint16Array(4096);
    for (let i = 0; i < 4096; i++) {
      encodePairs[i] = (ALPHABET.charCodeAt(i >> 6) << 8) | ALPHABET.charCodeAt(i & 63);
    }
  }
  return encodePairs;
}

function getDecodeTable(): Uint8Array {
  if (!decodeTable) {
    decodeTable = new Uint8Array(256).fill(INVALID);
    for (let i = 0; i < 64; i++) decodeTable[ALPHABET.charCodeAt(i)] = i;
  }
  return decodeTable;
}

/** Encodes bytes as standard, padded base64. Works in browsers, edge runtimes and Node. */
export function encodeBase64(bytes: Uint8Array): string {
  if (!(bytes instanceof Uint8Array)) {
    throw new TwinError('invalid_argument', `bytes must be a Uint8Array, got ${describe(bytes)}`);
  }
  const pairs = getEncodePairs();
  const n = bytes.length;
  const out = new Uint8Array(Math.ceil(n / 3) * 4);
  let o = 0;
  let i = 0;
  for (const end = n - (n % 3); i < end; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    const hi = pairs[v >> 12]!;
    const lo = pairs[v & 4095]!;
    out[o++] = hi >> 8;
    out[o++] = hi & 255;
    out[o++] = lo >> 8;
    out[o++] = lo & 255;
  }
  const rest = n - i;
  if (rest > 0) {
    const v = (bytes[i]! << 16) | (rest === 2 ? bytes[i + 1]! << 8 : 0);
    out[o++] = ALPHABET.charCodeAt(v >> 18);
    out[o++] = ALPHABET.charCodeAt((v >> 12) & 63);
    out[o++] = rest === 2 ? ALPHABET.charCodeAt((v >> 6) & 63) : 61; // '='
    out[o++] = 61;
  }
  // Every byte is ASCII, so a single-byte decoder turns the buffer into a string in one native call.
  asciiDecoder ??= new TextDecoder('latin1');
  return asciiDecoder.decode(out);
}

/**
 * Decodes standard, padded base64. Strict: whitespace, URL-safe characters, missing or misplaced
 * padding and non-zero padding bits are rejected with `decode_failed`, so one payload has exactly
 * one encoding (nothing can be smuggled past a tamper check by re-encoding it).
 */
export function decodeBase64(text: string): Uint8Array {
  if (typeof text !== 'string') {
    throw new TwinError('invalid_argument', `text must be a string, got ${describe(text)}`);
  }
  const len = text.length;
  if (len % 4 !== 0) throw invalid(`length ${len} is not a multiple of 4`);
  if (len === 0) return new Uint8Array(0);
  const table = getDecodeTable();
  const pad = text.charCodeAt(len - 1) === 61 ? (text.charCodeAt(len - 2) === 61 ? 2 : 1) : 0;
  const out = new Uint8Array((len / 4) * 3 - pad);
  const full = pad ? len - 4 : len;
  let o = 0;
  for (let i = 0; i < full; i += 4) {
    const a = lookup(table, text, i);
    const b = lookup(table, text, i + 1);
    const c = lookup(table, text, i + 2);
    const d = lookup(table, text, i + 3);
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = v >> 16;
    out[o++] = (v >> 8) & 255;
    out[o++] = v & 255;
  }
  if (pad) {
    const i = len - 4;
    const a = lookup(table, text, i);
    const b = lookup(table, text, i + 1);
    if (pad === 2) {
      if (b & 15) throw invalid('non-zero padding bits');
      out[o++] = (a << 2) | (b >> 4);
    } else {
      const c = lookup(table, text, i + 2);
      if (c & 3) throw invalid('non-zero padding bits');
      out[o++] = (a << 2) | (b >> 4);
      out[o++] = ((b & 15) << 4) | (c >> 2);
    }
  }
  return out;
}

function lookup(table: Uint8Array, text: string, index: number): number {
  const code = text.charCodeAt(index);
  const value = code < 256 ? table[code]! : INVALID;
  if (value === INVALID) throw invalid(`invalid character at position ${index}`);
  return value;
}

function invalid(reason: string): TwinError {
  return new TwinError('decode_failed', `Payload is not valid base64: ${reason}.`);
}
