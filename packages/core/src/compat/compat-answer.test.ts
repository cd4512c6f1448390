import { describe, expect, it } from 'vitest';
import { anthropicAnswer } from './anthropic-message';
import { CompatAnswer } from './compat-answer';
import { openAIChatAnswer } from './openai-chat-completion';
import { twinEvents } from './test-events';

function collect(events: ReturnType<typeof twinEvents>['events']): CompatAnswer {
  const answer = new CompatAnswer();
  for (const e of events) answer.push(e);
  return answer;
}

const cost = { currency: 'USD', total: '0.002', estimated: false, recordId: 'bill_1' };

describe('non-streamed answers', () => {
  it('builds a chat.completion with the whole text, tool calls, usage and the receipt', () => {
    const answer = collect(
      twinEvents()
        .start()
        .text('Hello ')
        .text('there')
        .tools([{ id: 'call_1', index: 0, name: 'f', argsDelta: '{"a":1}', done: true, args: { a: 1 } }])
        .complete({ finishReason: 'tool-calls', usage: { inputTokens: 5, outputTokens: 7 }, cost, provider: 'simulated', model: 'sim-1' }).events,
    );
    expect(answer.ended).toBe(true);
    const { status, body } = openAIChatAnswer(answer, { id: 'chatcmpl-1', model: 'simulated/sim-1', created: 1, streamId: 'str_1' });
    expect(status).toBe(200);
    expect(body).toEqual({
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 1,
      model: 'simulated/sim-1',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Hello there', refusal: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] },
          logprobs: null,
          finish_reason: 'tool_calls',
        },
      ],
      usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 },
      twin: { stream_id: 'str_1', provider: 'simulated', model: 'sim-1', cost },
    });
  });

  it('builds an Anthropic message with blocks in order', () => {
    const answer = collect(
      twinEvents()
        .start()
        .reasoning('Hmm')
        .text('Hi')
        .tools([{ id: 'toolu_1', index: 0, name: 'f', argsDelta: '{}', done: true, args: {} }])
        .complete({ finishReason: 'tool-calls', usage: { inputTokens: 5, outputTokens: 7 } }).events,
    );
    const { status, body } = anthropicAnswer(answer, { id: 'msg_1', model: 'm', streamId: 'str_1' });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      type: 'message',
      content: [{ type: 'thinking', thinking: 'Hmm', signature: '' }, { type: 'text', text: 'Hi' }, { type: 'tool_use', id: 'toolu_1', name: 'f', input: {} }],
      stop_reason: 'tool_use',
      usage: { input_tokens: 5, output_tokens: 7 },
    });
  });

  it("answers a stream that failed with the error's HTTP status in each door's error shape", () => {
    const answer = collect(twinEvents().start().text('partial').error('provider_rate_limited', 'Upstream says slow down.').events);
    expect(openAIChatAnswer(answer, { id: 'c', model: 'm', created: 1, streamId: 's' })).toEqual({
      status: 429,
      body: { error: { message: 'Upstream says slow down.', type: 'rate_limit_error', param: null, code: 'provider_rate_limited' } },
    });
    expect(anthropicAnswer(answer, { id: 'c', model: 'm', streamId: 's' })).toEqual({
      status: 429,
      body: { type: 'error', error: { type: 'rate_limit_error', message: 'Upstream says slow down.' } },
    });
  });
});
