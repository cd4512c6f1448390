import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadDefaultTokenCounter, type TokenCounter } from '@twin/core';
import { GptEncoding } from 'gpt-tokenizer/GptEncoding';

/** A rank table as gpt-tokenizer's encodings take it: the token of each rank, text or (not UTF-8) bytes. */
export type BytePairRanks = (string | number[])[];

const BASE64 = new Uint8Array(128).fill(255);
for (const [i, c] of [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].entries()) BASE64[c.charCodeAt(0)] = i;
/** Longer than any token of the tiktoken files (o200k's longest is 128 bytes). */
const MAX_TOKEN_BYTES = 1024;

/**
 * Parses a `.tiktoken` rank file (one `<base64 token> <rank>` per line) into the rank table
 * gpt-tokenizer's generated `bpeRanks/*.js` modules hold, value for value: a token is its text when
 * its bytes are UTF-8 that encodes back to the same bytes (as gpt-tokenizer's code generator
 * decides: fatal UTF-8 decoding, a leading BOM dropped and so not the same bytes), else its bytes;
 * a rank no line names is a hole.
 *
 * Why not the generated module: parsing 2.2 MB of array literals (o200k_base) left some 19 MiB in the
 * C allocator (the parser's zones, freed but not handed back) and keeps the module's source (4.4 MiB
 * as UTF-16) in the heap for the life of the process; this reads the file into one buffer, decodes
 * each token from it and makes nothing per line but the token itself.
 */
export function parseTiktokenRanks(file: Uint8Array): BytePairRanks {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const encoder = new TextEncoder();
  const scratch = new Uint8Array(MAX_TOKEN_BYTES);
  const check = new Uint8Array(MAX_TOKEN_BYTES * 3);
  const ranks: BytePairRanks = [];
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
    let length = 0;
    let bits = 0;
    let acc = 0;
    for (; i < file.length && file[i] !== 0x20; i++) {
      const c = file[i]!;
      if (c === 0x3d) continue;
      const sextet = c < 128 ? BASE64[c]! : 255;
      if (sextet === 255 || length >= MAX_TOKEN_BYTES) throw new Error(`Invalid token on line ${line} of the rank file.`);
      acc = ((acc << 6) | sextet) & 0xffffff;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        scratch[length++] = (acc >> bits) & 0xff;
      }
    }
    i++;
    // The rank: decimal up to the end of the line.
    let rank = 0;
    let digits = 0;
    for (; i < file.length && file[i] !== 0x0a; i++, digits++) {
      const digit = file[i]! - 0x30;
      if (digit < 0 || digit > 9) throw new Error(`Invalid rank on line ${line} of the rank file.`);
      rank = rank * 10 + digit;
    }
    if (length === 0 || digits === 0) throw new Error(`Invalid line ${line} of the rank file.`);
    const bytes = scratch.subarray(0, length);
    ranks[rank] = asText(bytes, decoder, encoder, check) ?? Array.from(bytes);
  }
  return ranks;
}

function asText(bytes: Uint8Array, decoder: TextDecoder, encoder: TextEncoder, check: Uint8Array): string | undefined {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return undefined;
  }
  // Decoding drops a leading BOM: the text must encode back to the same bytes.
  const { written } = encoder.encodeInto(text, check);
  if (written !== bytes.length) return undefined;
  for (let j = 0; j < written; j++) if (check[j] !== bytes[j]) return undefined;
  return text;
}

let counter: Promise<TokenCounter> | undefined;

/**
 * The server's default prompt token counter: gpt-tokenizer's `o200k_base`, the encoding and counts
 * of `@twin/core`'s `loadDefaultTokenCounter`, built from the package's `data/o200k_base.tiktoken`
 * (see {@link parseTiktokenRanks}: some 15 MiB less resident than importing its generated module).
 * Loaded once. If the rank file cannot be read (a bundle that left it out), core's default.
 */
export function loadO200kTokenCounter(): Promise<TokenCounter> {
  counter ??= Promise.resolve().then(() => {
    let ranks: BytePairRanks;
    try {
      ranks = parseTiktokenRanks(readFileSync(createRequire(import.meta.url).resolve('gpt-tokenizer/data/o200k_base.tiktoken')));
    } catch {
      return loadDefaultTokenCounter();
    }
    const encoding = GptEncoding.getEncodingApi('o200k_base', () => ranks);
    // A special token's text in a prompt (`<|endoftext|>`) counts as plain text, as core's counter
    // counts it and the providers read it; gpt-tokenizer would throw on it by default.
    const plainText = { disallowedSpecial: new Set<string>() };
    return (text: string) => encoding.countTokens(text, plainText);
  });
  return counter;
}
