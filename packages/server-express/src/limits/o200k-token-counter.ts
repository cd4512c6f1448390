import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadDefaultTokenCounter, type TokenCounter } from '@twin/core';
import { O200K_TOKEN_SPLIT_REGEX } from 'gpt-tokenizer/encodingParams/constants';

const BASE64 = new Uint8Array(128).fill(255);
for (const [i, c] of [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].entries()) BASE64[c.charCodeAt(0)] = i;
/** Longer than any token of the tiktoken files (o200k's longest is 128 bytes). */
const MAX_TOKEN_BYTES = 1024;

/**
 * A byte-pair rank table in typed arrays: every token's bytes in one buffer, its place by rank,
 * and an open-addressing hash from bytes to rank. o200k_base's 200,000 tokens take some 4.5 MiB
 * outside the JS heap, where gpt-tokenizer's own tables (a `Map` of 198,000 strings, the rank
 * array, a sorted array of byte tokens) held some 15 MiB of live heap for the process's life.
 */
export interface RankTable {
  /** Every token's bytes, in the file's order. */
  readonly bytes: Uint8Array;
  /** Where rank r's bytes start in `bytes`. */
  readonly start: Uint32Array;
  /** How many bytes rank r has; 0: a hole (no line names rank r). */
  readonly length: Uint16Array;
  /** rank + 1 of the token whose bytes hash to the slot (linear probing); 0: empty. */
  readonly slots: Int32Array;
}

/** FNV-1a over bytes[from, to). */
function hashBytes(bytes: Uint8Array, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

/** The rank of the token whose bytes are exactly bytes[from, to), or -1. */
export function rankOf(table: RankTable, bytes: Uint8Array, from: number, to: number): number {
  const { slots, start, length, bytes: all } = table;
  const mask = slots.length - 1;
  const n = to - from;
  for (let slot = hashBytes(bytes, from, to) & mask; ; slot = (slot + 1) & mask) {
    const rank = slots[slot]! - 1;
    if (rank < 0) return -1;
    if (length[rank] !== n) continue;
    const s = start[rank]!;
    let j = 0;
    while (j < n && all[s + j] === bytes[from + j]) j++;
    if (j === n) return rank;
  }
}

/**
 * Reads a `.tiktoken` rank file (one `<base64 token> <rank>` per line) into a {@link RankTable}:
 * the file read as one buffer, each token decoded from it into the table's buffer, nothing made
 * per line. A rank no line names is a hole; a rank named twice keeps its last line, and bytes named
 * by two ranks find the higher one (as gpt-tokenizer's `Map` from text to rank would).
 */
export function parseTiktokenRanks(file: Uint8Array): RankTable {
  // Base64 is 4 characters for 3 bytes: the tokens' bytes fit in 3/4 of the file.
  const bytes = new Uint8Array(Math.ceil((file.length * 3) / 4));
  let lines = 0;
  for (let i = 0; i < file.length; i++) if (file[i] === 0x0a) lines++;
  // Per line, in file order: rank, start, length (ranks need not come in order).
  const lineRank = new Uint32Array(lines + 1);
  const lineStart = new Uint32Array(lines + 1);
  const lineLength = new Uint16Array(lines + 1);
  let tokens = 0;
  let used = 0;
  let maxRank = -1;
  let i = 0;
  let line = 1;
  while (i < file.length) {
    if (file[i] === 0x0a) {
      // A blank line (the file's last newline, or an empty one): nothing to read.
      i++;
      line++;
      continue;
    }
    // The token: base64 up to the space (padding ignored).
    const from = used;
    let bits = 0;
    let acc = 0;
    for (; i < file.length && file[i] !== 0x20; i++) {
      const c = file[i]!;
      if (c === 0x3d) continue;
      const sextet = c < 128 ? BASE64[c]! : 255;
      if (sextet === 255 || used - from >= MAX_TOKEN_BYTES) throw new Error(`Invalid token on line ${line} of the rank file.`);
      acc = ((acc << 6) | sextet) & 0xffffff;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        bytes[used++] = (acc >> bits) & 0xff;
      }
    }
    i++;
    // The rank: decimal up to the end of the line.
    let rank = 0;
    let digits = 0;
    for (; i < file.length && file[i] !== 0x0a; i++, digits++) {
      const digit = file[i]! - 0x30;
      if (digit < 0 || digit > 9 || digits >= 9) throw new Error(`Invalid rank on line ${line} of the rank file.`);
      rank = rank * 10 + digit;
    }
    if (used === from || digits === 0) throw new Error(`Invalid line ${line} of the rank file.`);
    lineRank[tokens] = rank;
    lineStart[tokens] = from;
    lineLength[tokens] = used - from;
    tokens++;
    if (rank > maxRank) maxRank = rank;
  }
  const start = new Uint32Array(maxRank + 1);
  const length = new Uint16Array(maxRank + 1);
  for (let t = 0; t < tokens; t++) {
    start[lineRank[t]!] = lineStart[t]!;
    length[lineRank[t]!] = lineLength[t]!;
  }
  // At most half full: a miss (most pairs tried while merging) ends within a probe or two.
  let size = 1024;
  while (size < tokens * 2) size *= 2;
  const table: RankTable = { bytes: bytes.slice(0, used), start, length, slots: new Int32Array(size) };
  const mask = size - 1;
  for (let rank = 0; rank <= maxRank; rank++) {
    const n = length[rank]!;
    if (n === 0) continue;
    const s = start[rank]!;
    let slot = hashBytes(table.bytes, s, s + n) & mask;
    for (; table.slots[slot] !== 0; slot = (slot + 1) & mask) {
      const other = table.slots[slot]! - 1;
      if (length[other] !== n) continue;
      let j = 0;
      while (j < n && table.bytes[start[other]! + j] === table.bytes[s + j]) j++;
      if (j === n) break;
    }
    table.slots[slot] = rank + 1;
  }
  return table;
}

/** gpt-tokenizer's `isValidUTF8` (utfUtil.js) over bytes[from, to): which of its lookups a byte sequence takes. */
function isValidUtf8(bytes: Uint8Array, from: number, to: number): boolean {
  let i = from;
  while (i < to) {
    const byte1 = bytes[i]!;
    let numBytes: number;
    let codePoint: number;
    if (byte1 <= 0x7f) {
      i++;
      continue;
    } else if ((byte1 & 0xe0) === 0xc0) {
      numBytes = 2;
      codePoint = byte1 & 0x1f;
      if (byte1 <= 0xc1) return false;
    } else if ((byte1 & 0xf0) === 0xe0) {
      numBytes = 3;
      codePoint = byte1 & 0x0f;
    } else if ((byte1 & 0xf8) === 0xf0) {
      numBytes = 4;
      codePoint = byte1 & 0x07;
      if (byte1 > 0xf4) return false;
    } else return false;
    if (i + numBytes > to) return false;
    for (let j = 1; j < numBytes; j++) {
      const byte = bytes[i + j]!;
      if ((byte & 0xc0) !== 0x80) return false;
      codePoint = (codePoint << 6) | (byte & 0x3f);
    }
    if ((numBytes === 2 && codePoint < 0x80) || (numBytes === 3 && codePoint < 0x800) || (numBytes === 4 && codePoint < 0x10000)) return false;
    if ((codePoint >= 0xd800 && codePoint <= 0xdfff) || codePoint > 0x10ffff) return false;
    i += numBytes;
  }
  return true;
}

/** No lone surrogate (`String.prototype.isWellFormed`, not in every runtime's library yet). */
function isWellFormed(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c > 0xdbff) return false;
    const next = text.charCodeAt(i + 1);
    if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
    i++;
  }
  return true;
}

const startsWithBom = (bytes: Uint8Array, at: number, to: number) => to - at >= 3 && bytes[at] === 0xef && bytes[at + 1] === 0xbb && bytes[at + 2] === 0xbf;

/**
 * The rank gpt-tokenizer's `getBpeRankFromBytes` gives bytes[from, to) while merging: bytes that are
 * valid UTF-8 are looked up as their text (decoded with a leading BOM dropped), the rest among the
 * tokens kept as bytes. A token is kept as text when its bytes are UTF-8 that does not start with a
 * BOM, so: valid bytes find the token of their bytes after one leading BOM, if those do not start
 * with another; other bytes find the token of their bytes. -1: none.
 */
function mergeRank(table: RankTable, bytes: Uint8Array, from: number, to: number): number {
  if (!isValidUtf8(bytes, from, to)) return rankOf(table, bytes, from, to);
  if (startsWithBom(bytes, from, to)) from += 3;
  if (from === to || startsWithBom(bytes, from, to)) return -1;
  return rankOf(table, bytes, from, to);
}

/**
 * A prompt token counter over a {@link RankTable} that counts exactly as gpt-tokenizer's
 * `GptEncoding.countTokens(text, { disallowedSpecial: new Set() })` on the same table does (a special
 * token's text counted as plain text), without its tables or its merge cache (up to 100,000 pieces
 * and their tokens kept). The text is split by o200k's pattern; a piece that is a token's text is one
 * token; any other is merged pair by pair from its UTF-8 bytes, lowest rank first (the leftmost of
 * equal ranks), as its `bytePairMerge` does, and counts the parts left.
 */
export function createRankTableCounter(table: RankTable): TokenCounter {
  const split = new RegExp(O200K_TOKEN_SPLIT_REGEX.source, O200K_TOKEN_SPLIT_REGEX.flags);
  const encoder = new TextEncoder();
  let scratch = new Uint8Array(1024);
  // Per merge: where each part starts (and the piece's end), the rank of each part with the next.
  let starts = new Int32Array(1025);
  let ranks = new Float64Array(1025);

  const mergedParts = (n: number): number => {
    if (starts.length < n + 1) {
      starts = new Int32Array(n + 1);
      ranks = new Float64Array(n + 1);
    }
    const pairRank = (i: number, parts: number): number => {
      if (i + 2 >= parts) return Infinity;
      const rank = mergeRank(table, scratch, starts[i]!, starts[i + 2]!);
      return rank < 0 ? Infinity : rank;
    };
    for (let i = 0; i <= n; i++) starts[i] = i;
    let parts = n + 1; // boundaries
    for (let i = 0; i < parts; i++) ranks[i] = pairRank(i, parts);
    while (parts > 1) {
      let lowest = Infinity;
      let at = -1;
      for (let i = 0; i < parts - 1; i++) {
        if (ranks[i]! < lowest) {
          lowest = ranks[i]!;
          at = i;
        }
      }
      if (at === -1) break;
      // Merge parts at and at + 1: drop the boundary between them, and their pair's rank.
      starts.copyWithin(at + 1, at + 2, parts);
      ranks.copyWithin(at, at + 1, parts);
      parts--;
      ranks[at] = pairRank(at, parts);
      if (at > 0) ranks[at - 1] = pairRank(at - 1, parts);
    }
    return parts - 1;
  };

  return (text: string) => {
    let count = 0;
    split.lastIndex = 0;
    for (let match = split.exec(text); match !== null; match = split.exec(text)) {
      const piece = match[0];
      if (piece.length === 0) {
        // Not in o200k's pattern, but as matchAll would: step over one code point.
        split.lastIndex += (text.codePointAt(split.lastIndex) ?? 0) > 0xffff ? 2 : 1;
        continue;
      }
      if (piece.length * 3 > scratch.length) scratch = new Uint8Array(piece.length * 3);
      // ASCII (most pieces) is its own UTF-8: copied, not encoded.
      let written = 0;
      while (written < piece.length) {
        const c = piece.charCodeAt(written);
        if (c > 0x7f) break;
        scratch[written++] = c;
      }
      let wellFormed = true;
      if (written < piece.length) {
        wellFormed = isWellFormed(piece);
        written = encoder.encodeInto(piece, scratch).written;
      }
      // The piece as one token: its text is a token's (well-formed, and a token kept as text does not start with a BOM).
      if (wellFormed && piece.charCodeAt(0) !== 0xfeff && rankOf(table, scratch, 0, written) >= 0) {
        count++;
        continue;
      }
      count += mergedParts(written);
    }
    return count;
  };
}

let counter: Promise<TokenCounter> | undefined;

/**
 * The server's default prompt token counter: gpt-tokenizer's `o200k_base` counts, as `@twin/core`'s
 * `loadDefaultTokenCounter` gives them, from the package's `data/o200k_base.tiktoken` read into a
 * {@link RankTable} (see {@link createRankTableCounter}). Importing the generated module of array
 * literals left the parser's memory in the C allocator and its source in the heap; gpt-tokenizer's
 * tables built from the file still held some 15 MiB of live heap. Loaded once. If the rank file
 * cannot be read (a bundle that left it out), core's default.
 */
export function loadO200kTokenCounter(): Promise<TokenCounter> {
  counter ??= Promise.resolve().then(() => {
    let table: RankTable;
    try {
      table = parseTiktokenRanks(readFileSync(createRequire(import.meta.url).resolve('gpt-tokenizer/data/o200k_base.tiktoken')));
    } catch {
      return loadDefaultTokenCounter();
    }
    return createRankTableCounter(table);
  });
  return counter;
}
