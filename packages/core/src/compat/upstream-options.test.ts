import { describe, expect, it } from 'vitest';
import { upstreamFamily, upstreamOptions } from './upstream-options';

const extras = {
  toolChoice: 'required' as const,
  parallelToolCalls: false,
  topP: 0.5,
  seed: 3,
  responseFormat: { type: 'json_schema' as const, name: 'x', schema: { type: 'object' } },
};

describe('upstreamOptions', () => {
  it('passes OpenAI fields through under their own names', () => {
    expect(upstreamOptions('openai', extras)).toEqual({
      tool_choice: 'required',
      parallel_tool_calls: false,
      top_p: 0.5,
      seed: 3,
      response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' } } },
    });
  });

  it("maps tool choice to Anthropic's form and drops response_format, which Anthropic has no field for", () => {
    expect(upstreamOptions('anthropic', extras)).toEqual({ tool_choice: { type: 'any', disable_parallel_tool_use: true }, top_p: 0.5 });
  });

  it("puts JSON output and sampling into Gemini's generationConfig and Ollama's options/format", () => {
    expect(upstreamOptions('google', extras)).toEqual({
      generationConfig: { topP: 0.5, seed: 3, responseMimeType: 'application/json', responseJsonSchema: { type: 'object' } },
      toolConfig: { functionCallingConfig: { mode: 'ANY' } },
    });
    expect(upstreamOptions('ollama', extras)).toEqual({ options: { top_p: 0.5, seed: 3 }, format: { type: 'object' } });
  });

  it('gives other providers (the simulated one, custom ones) nothing, and reads families from names', () => {
    expect(upstreamOptions('other', extras)).toBeUndefined();
    expect(upstreamOptions('openai', {})).toBeUndefined();
    expect(upstreamFamily('simulated')).toBe('other');
    expect(upstreamFamily('anthropic')).toBe('anthropic');
  });
});
