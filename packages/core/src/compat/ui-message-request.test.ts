import { describe, expect, it } from 'vitest';
import { uiChatRequestSchema, uiMessagesToMessages } from './ui-message-request';

describe('useChat request body → Twin messages', () => {
  it('accepts the body DefaultChatTransport posts, with Twin fields beside it', () => {
    const body = {
      id: 'chat-1',
      trigger: 'submit-message',
      messageId: undefined,
      model: 'sim-1',
      messages: [{ id: 'u1', role: 'user', parts: [{ type: 'text', text: 'Hi' }] }],
    };
    expect(uiChatRequestSchema.parse(body)).toMatchObject({ id: 'chat-1', model: 'sim-1' });
    const bad = uiChatRequestSchema.safeParse({ id: 'chat-1', messages: [{ id: 'u1', role: 'robot', parts: [] }] });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]!.path).toEqual(['messages', 0, 'role']);
  });

  it('turns each assistant step into an assistant message plus a tool message with its results', () => {
    const messages = uiMessagesToMessages([
      { id: 's', role: 'system', parts: [{ type: 'text', text: 'Be brief.' }] },
      { id: 'u1', role: 'user', parts: [{ type: 'text', text: 'use get_time' }] },
      {
        id: 'a1',
        role: 'assistant',
        parts: [
          { type: 'step-start' },
          { type: 'reasoning', text: 'thinking' },
          { type: 'tool-get_time', toolCallId: 'c1', state: 'output-available', input: { zone: 'UTC' }, output: { time: '12:00' } },
          { type: 'dynamic-tool', toolName: 'lookup', toolCallId: 'c2', state: 'output-error', input: {}, errorText: 'offline' },
          { type: 'step-start' },
          { type: 'text', text: 'It is noon.' },
        ],
      },
    ]);
    expect(messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'use get_time' },
      {
        role: 'assistant',
        content: [
          { type: 'tool-call', toolCallId: 'c1', toolName: 'get_time', args: { zone: 'UTC' } },
          { type: 'tool-call', toolCallId: 'c2', toolName: 'lookup', args: {} },
        ],
      },
      {
        role: 'tool',
        content: [
          { type: 'tool-result', toolCallId: 'c1', toolName: 'get_time', result: { time: '12:00' } },
          { type: 'tool-result', toolCallId: 'c2', toolName: 'lookup', result: 'offline', isError: true },
        ],
      },
      { role: 'assistant', content: 'It is noon.' },
    ]);
  });
});
