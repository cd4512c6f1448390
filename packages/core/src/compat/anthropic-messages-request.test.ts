import { describe, expect, it } from 'vitest';
import { anthropicMessagesRequestSchema, anthropicMessagesRequestToTwin } from './anthropic-messages-request';

const parse = (body: unknown) => anthropicMessagesRequestToTwin(anthropicMessagesRequestSchema.parse(body));

describe('anthropicMessagesRequestToTwin', () => {
  it('turns system, tool_use and tool_result blocks into Twin messages (results first, named after their call)', () => {
    const request = parse({
      model: 'anthropic/claude-sonnet-4-5',
      max_tokens: 256,
      system: [{ type: 'text', text: 'Be brief.' }],
      messages: [
        { role: 'user', content: 'Weather in Bern?' },
        { role: 'assistant', content: [{ type: 'thinking', thinking: 'x', signature: 's' }, { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Bern' } }] },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: '21°C' }] },
            { type: 'text', text: 'And tomorrow?' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } },
          ],
        },
      ],
      stop_sequences: ['END'],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
      top_k: 5,
      metadata: { user_id: 'u-1' },
    });
    expect(request.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Weather in Bern?' },
      { role: 'assistant', content: [{ type: 'tool-call', toolCallId: 'toolu_1', toolName: 'get_weather', args: { city: 'Bern' } }] },
      { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'toolu_1', toolName: 'get_weather', result: '21°C' }] },
      { role: 'user', content: [{ type: 'text', text: 'And tomorrow?' }, { type: 'image', data: 'AAAA', mediaType: 'image/png' }] },
    ]);
    expect(request).toMatchObject({ maxTokens: 256, stop: ['END'], stream: false, metadata: { user: 'u-1' } });
    expect(request.extras).toEqual({ toolChoice: 'required', parallelToolCalls: false, topK: 5, user: 'u-1' });
  });

  it("requires max_tokens, as Anthropic's API does", () => {
    const result = anthropicMessagesRequestSchema.safeParse({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
    expect(result.error?.issues[0]?.path).toEqual(['max_tokens']);
  });
});
