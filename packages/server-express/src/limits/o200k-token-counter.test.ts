import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadDefaultTokenCounter } from '@twin/core';
import bpeRanks from 'gpt-tokenizer/bpeRanks/o200k_base';
import { describe, expect, it } from 'vitest';
import { loadO200kTokenCounter, parseTiktokenRanks } from './o200k-token-counter';

const b64 = (bytes: number[]) => Buffer.from(bytes).toString('base64');
const file = (lines: string[]) => new TextEncoder().encode(lines.map((l) => `${l}\n`).join(''));

describe('parseTiktokenRanks', () => {
  it("gives o200k_base's rank table exactly as gpt-tokenizer's generated module holds it (text, bytes, no holes)", () => {
    const ranks = parseTiktokenRanks(readFileSync(createRequire(import.meta.url).resolve('gpt-tokenizer/data/o200k_base.tiktoken')));
    expect(ranks.length).toBe(bpeRanks.length);
    let differences = 0;
    let bytes = 0;
    for (let rank = 0; rank < bpeRanks.length; rank++) {
      const expected = bpeRanks[rank];
      const actual = ranks[rank];
      if (typeof expected !== 'string') bytes++;
      if (rank in bpeRanks !== rank in ranks || (typeof expected === 'string' ? actual !== expected : JSON.stringify(actual) !== JSON.stringify(expected))) differences++;
    }
    expect(differences).toBe(0);
    // Both kinds were compared (o200k has 1,571 tokens that are not UTF-8 text).
    expect(bytes).toBeGreaterThan(1_000);
  });

  it('keeps as bytes what is not text that encodes back to itself (broken UTF-8, a leading BOM); holes where no line names a rank', () => {
    const ranks = parseTiktokenRanks(file([`${b64([0x68, 0x69])} 0`, `${b64([0xe2, 0x82])} 1`, `${b64([0xef, 0xbb, 0xbf, 0x61])} 2`, `${b64([0xc3, 0xa9])} 4`]));
    expect(ranks[0]).toBe('hi');
    expect(ranks[1]).toEqual([0xe2, 0x82]);
    expect(ranks[2]).toEqual([0xef, 0xbb, 0xbf, 0x61]);
    expect(3 in ranks).toBe(false);
    expect(ranks[4]).toBe('é');
    expect(ranks.length).toBe(5);
  });

  it('refuses a malformed line instead of building a wrong table', () => {
    expect(() => parseTiktokenRanks(file(['aGk= x']))).toThrow(/rank on line 1/);
    expect(() => parseTiktokenRanks(file(['aGk= 0', 'a*k= 1']))).toThrow(/token on line 2/);
    expect(() => parseTiktokenRanks(file(['aGk=']))).toThrow(/line 1/);
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
