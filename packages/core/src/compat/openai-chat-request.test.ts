import { describe, expect, it } from 'vitest';
import { openAIChatRequestSchema, openAIChatRequestToTwin } from './openai-chat-request';

const parse = (body: unknown) => openAIChatRequestToTwin(openAIChatRequestSchema.parse(body));

describe('openAIChatRequestToTwin', () => {
  it('translates every message role, tool calls and tool results (which get the name of the call they answer)', () => {
    const request = parse({
      model: 'openai/gpt-4o',
      messages: [
        { role: 'developer', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'Weather? ' }, { type: 'image_url', image_url: { url: 'https://x/y.png' } }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Zürich"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: '{"c":21}' },
      ],
    });
    expect(request.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: [{ type: 'text', text: 'Weather? ' }, { type: 'image', url: 'https://x/y.png' }] },
      { role: 'assistant', content: [{ type: 'tool-call', toolCallId: 'call_1', toolName: 'get_weather', args: { city: 'Zürich' } }] },
      { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'call_1', toolName: 'get_weather', result: { c: 21 } }] },
    ]);
    expect(request.stream).toBe(false);
  });

  it('prefers max_completion_tokens over max_tokens, and reads stop strings, streaming and usage options', () => {
    const request = parse({
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 10,
      max_completion_tokens: 20,
      stop: 'END',
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0.5,
      user: 'u-1',
    });
    expect(request).toMatchObject({ maxTokens: 20, stop: ['END'], stream: true, includeUsage: true, temperature: 0.5, metadata: { user: 'u-1' } });
    expect(parse({ model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 7 }).maxTokens).toBe(7);
  });

  it('keeps tools, tool choice, response format, top_p and seed for the upstreams that take them', () => {
    const request = parse({
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: { a: { type: 'string' } } } } }],
      tool_choice: { type: 'function', function: { name: 'f' } },
      parallel_tool_calls: false,
      response_format: { type: 'json_schema', json_schema: { name: 'out', schema: { type: 'object' }, strict: true } },
      top_p: 0.9,
      seed: 7,
    });
    expect(request.tools).toEqual([{ name: 'f', parameters: { type: 'object', properties: { a: { type: 'string' } } } }]);
    expect(request.extras).toEqual({
      toolChoice: { name: 'f' },
      parallelToolCalls: false,
      topP: 0.9,
      seed: 7,
      responseFormat: { type: 'json_schema', name: 'out', schema: { type: 'object' }, strict: true },
    });
  });

  it('refuses what Twin cannot answer faithfully (n > 1) and names the field', () => {
    const result = openAIChatRequestSchema.safeParse({ model: 'm', messages: [{ role: 'user', content: 'hi' }], n: 2 });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['n']);
  });

  it('refuses tool-call arguments that are not JSON, naming the field', () => {
    expect(() =>
      parse({ model: 'm', messages: [{ role: 'assistant', content: '', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{oops' } }] }] }),
    ).toThrow(expect.objectContaining({ code: 'invalid_request', details: { field: 'messages.0.tool_calls.0.function.arguments' } }));
  });
});
