import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, it } from 'vitest';
import { estimateInputTokens, estimateUsage } from '@twin/core';

const request = {
  messages: [
    { role: 'system' as const, content: 'You are terse.' },
    { role: 'user' as const, content: [{ type: 'text' as const, text: 'Summarise Hamlet.' }] },
  ],
};

describe('usage estimation', () => {
  it('counts prompt and output with the o200k tokenizer and flags the result estimated', async () => {
    const usage = await estimateUsage({ request, outputText: 'A prince hesitates.' });
    const expectedInput = 3 + (3 + countTokens('system') + countTokens('You are terse.')) + (3 + countTokens('user') + countTokens('Summarise Hamlet.'));
    expect(usage).toEqual({ inputTokens: expectedInput, outputTokens: countTokens('A prince hesitates.'), estimated: true, estimatedFields: ['inputTokens', 'outputTokens'] });
  });

  it('keeps what the provider reported and only fills the gaps; unknown cache counts stay undefined', async () => {
    const usage = await estimateUsage({ request, outputText: 'abc', partial: { inputTokens: 1000, cacheReadTokens: 900 } });
    expect(usage).toMatchObject({ inputTokens: 1000, cacheReadTokens: 900, outputTokens: countTokens('abc'), estimated: true });
    // Per field: input was reported by the provider, output was counted here.
    expect(usage.estimatedFields).toEqual(['outputTokens']);
    expect(usage.cacheWriteTokens).toBeUndefined();
  });

  it('reasoning is part of output and also counted on its own; an empty output is 0 tokens', async () => {
    const usage = await estimateUsage({ request, outputText: 'think. answer', reasoningText: 'think. ' });
    expect(usage.reasoningTokens).toBe(countTokens('think. '));
    expect((await estimateUsage({ request, outputText: '' })).outputTokens).toBe(0);
  });

  it('counts tool definitions in the prompt', () => {
    const count = (t: string) => t.length;
    const withTools = estimateInputTokens({ ...request, tools: [{ name: 'f', parameters: { type: 'object' } }] }, count);
    expect(withTools - estimateInputTokens(request, count)).toBe(JSON.stringify([{ name: 'f', parameters: { type: 'object' } }]).length);
  });

  it("counts a special token's text in a prompt or an answer as plain text instead of failing the estimate", async () => {
    const withSpecial = { messages: [{ role: 'user' as const, content: 'What does <|endoftext|> mean?' }] };
    const usage = await estimateUsage({ request: withSpecial, outputText: 'It ends a document: <|endoftext|>' });
    const plain = (text: string) => countTokens(text, { disallowedSpecial: new Set() });
    expect(usage.inputTokens).toBe(3 + 3 + countTokens('user') + plain('What does <|endoftext|> mean?'));
    expect(usage.outputTokens).toBe(plain('It ends a document: <|endoftext|>'));
    // The text's own tokens, more than the one special token it names.
    expect(plain('<|endoftext|>')).toBeGreaterThan(1);
  });
});
