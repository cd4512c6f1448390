import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadDefaultTokenCounter } from '@twin/core';
import bpeRanks from 'gpt-tokenizer/bpeRanks/o200k_base';
import { GptEncoding } from 'gpt-tokenizer/GptEncoding';
import { describe, expect, it } from 'vitest';
import { createRankTableCounter, loadO200kTokenCounter, parseTiktokenRanks, rankOf, type RankTable } from './o200k-token-counter';

const b64 = (bytes: number[]) => Buffer.from(bytes).toString('base64');
const file = (lines: string[]) => new TextEncoder().encode(lines.map((l) => `${l}\n`).join(''));
const utf8Bytes = (text: string) => new TextEncoder().encode(text);

const o200kFile = () => readFileSync(createRequire(import.meta.url).resolve('gpt-tokenizer/data/o200k_base.tiktoken'));
const bytesOf = (table: RankTable, rank: number) => [...table.bytes.subarray(table.start[rank]!, table.start[rank]! + table.length[rank]!)];
const utf8 = (text: string) => [...new TextEncoder().encode(text)];

describe('parseTiktokenRanks', () => {
  it("holds o200k_base's tokens exactly as gpt-tokenizer's generated module does (text and bytes alike, no holes), and finds each by its bytes", () => {
    const table = parseTiktokenRanks(o200kFile());
    expect(table.length.length).toBe(bpeRanks.length);
    let differences = 0;
    let notFound = 0;
    let bytes = 0;
    for (let rank = 0; rank < bpeRanks.length; rank++) {
      const expected = bpeRanks[rank];
      if (expected === undefined) {
        if (table.length[rank] !== 0) differences++;
        continue;
      }
      if (typeof expected !== 'string') bytes++;
      const actual = bytesOf(table, rank);
      if (JSON.stringify(actual) !== JSON.stringify(typeof expected === 'string' ? utf8(expected) : expected)) differences++;
      if (rankOf(table, Uint8Array.from(actual), 0, actual.length) !== rank) notFound++;
    }
    expect(differences).toBe(0);
    expect(notFound).toBe(0);
    // Both kinds were compared (o200k has 1,571 tokens that are not UTF-8 text).
    expect(bytes).toBeGreaterThan(1_000);
    expect(rankOf(table, utf8Bytes('no such token at all'), 0, 20)).toBe(-1);
  });

  it('keeps every token as its bytes, holes where no line names a rank; bytes named by two ranks find the later rank', () => {
    const table = parseTiktokenRanks(file([`${b64([0x68, 0x69])} 0`, `${b64([0xe2, 0x82])} 1`, `${b64([0xef, 0xbb, 0xbf, 0x61])} 2`, `${b64([0xc3, 0xa9])} 4`, `${b64([0x68, 0x69])} 5`]));
    expect(bytesOf(table, 0)).toEqual([0x68, 0x69]);
    expect(bytesOf(table, 1)).toEqual([0xe2, 0x82]);
    expect(bytesOf(table, 2)).toEqual([0xef, 0xbb, 0xbf, 0x61]);
    expect(table.length[3]).toBe(0);
    expect(bytesOf(table, 4)).toEqual([0xc3, 0xa9]);
    expect(table.length.length).toBe(6);
    expect(rankOf(table, utf8Bytes('hi'), 0, 2)).toBe(5);
    expect(rankOf(table, utf8Bytes('xé'), 1, 3)).toBe(4);
  });

  it('refuses a malformed line instead of building a wrong table', () => {
    expect(() => parseTiktokenRanks(file(['aGk= x']))).toThrow(/rank on line 1/);
    expect(() => parseTiktokenRanks(file(['aGk= 0', 'a*k= 1']))).toThrow(/token on line 2/);
    expect(() => parseTiktokenRanks(file(['aGk=']))).toThrow(/line 1/);
  });
});

describe('createRankTableCounter', () => {
  it("counts exactly as gpt-tokenizer's o200k_base encoding does: every token's text, texts made of tokens, and its edge cases (a leading BOM, lone surrogates, special tokens' text)", () => {
    const counter = createRankTableCounter(parseTiktokenRanks(o200kFile()));
    const reference = GptEncoding.getEncodingApi('o200k_base', () => bpeRanks);
    const plainText = { disallowedSpecial: new Set<string>() };
    // Byte tokens that start with a BOM keep it in their text.
    const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
    const texts: string[] = [];
    for (const token of bpeRanks) if (token !== undefined) texts.push(typeof token === 'string' ? token : decoder.decode(Uint8Array.from(token)));
    // gpt-tokenizer looks a merged piece's bytes up as text with a leading BOM dropped, so it counts
    // U+FEFF and the token after it as that one token ('\ufeff名': 1): counted the same.
    const withBom = texts.map((text) => `\ufeff${text}`);
    // A fixed sequence (no Math.random: a failure must reproduce).
    let seed = 1;
    const next = (n: number) => (seed = (Math.imul(seed, 1_103_515_245) + 12_345) & 0x7fffffff) % n;
    const made = (parts: readonly string[], most: number) => {
      let text = '';
      for (let i = 1 + next(most); i > 0; i--) text += parts[next(parts.length)];
      return text;
    };
    const edges = ['\ufeff', '\ud800', '\udc00', '\ufffd', ' ', 'a', 'é', '日', '🤖', '\n', '\r', "'", 'S', '1', '<|endoftext|>'];
    const cases = [...texts, ...withBom, ...Array.from({ length: 20_000 }, () => made(texts, 8)), ...Array.from({ length: 20_000 }, () => made(edges, 12))];
    const differences = cases.filter((text) => counter(text) !== reference.countTokens(text, plainText));
    expect(differences.slice(0, 5)).toEqual([]);
    expect(cases.length).toBeGreaterThan(439_000);
    expect(counter('\ufeff名')).toBe(1);
  });
});

describe('loadO200kTokenCounter', () => {
  it("counts as core's default counter (gpt-tokenizer's o200k_base module) does, and fails where it fails", async () => {
    const [counter, reference] = await Promise.all([loadO200kTokenCounter(), loadDefaultTokenCounter()]);
    const texts = [
      '',
      'Hello, world!',
      '  leading spaces and\ttabs\nand lines\r\n',
      'Ünïcödé, 日本語のテキスト, русский текст, emoji 🤖👍🏽 and a ZWJ family 👨‍👩‍👧',
      // A special token's text is counted as plain text by both (gpt-tokenizer would throw on it).
      '<|endoftext|> in a prompt',
      '<|endoftext|><|endofprompt|>',
      'function f(x) { return x.map((y) => y ** 2).filter(Boolean); } // code',
      'a'.repeat(5_000),
      '\u00ff\u0100\ud83d\ude00 \ud800 lone surrogate',
    ];
    const outcome = (count: (text: string) => number, text: string) => {
      try {
        return count(text);
      } catch (error) {
        return (error as Error).message;
      }
    };
    for (const text of texts) expect(outcome(counter, text), text.slice(0, 40)).toBe(outcome(reference, text));
    // Seven plain-text tokens ('<', '|', 'endo', 'ftext', '|', '>' …), not one special token or an error.
    expect(outcome(counter, '<|endoftext|>')).toBe(7);
  });
});
