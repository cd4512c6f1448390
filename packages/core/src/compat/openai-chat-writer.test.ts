import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createOpenAIChatWriter } from './openai-chat-writer';
import { sseMessages, twinEvents } from './test-events';

const options = { id: 'chatcmpl-str_1', model: 'simulated/sim-1', created: 1_767_225_600, streamId: 'str_1' };
const recorded = (name: string) => readFileSync(new URL(`../../test/fixtures/openai-chat/${name}`, import.meta.url), 'utf8');

/** The shape of a JSON value: object keys (sorted) and value types, recursively; ids, numbers and text do not matter. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shape);
  if (value === null) return null;
  if (typeof value === 'object') return Object.fromEntries(Object.keys(value).sort().map((k) => [k, shape((value as Record<string, unknown>)[k])]));
  return typeof value;
}

describe('createOpenAIChatWriter', () => {
  it('writes role, content, finish, usage (with the receipt) and [DONE], in the shape of a recorded OpenAI stream', () => {
    const writer = createOpenAIChatWriter({ ...options, includeUsage: true });
    const events = twinEvents()
      .start()
      .text('Grüß ')
      .text('Gott')
      .complete({ usage: { inputTokens: 9, outputTokens: 2, cacheReadTokens: 4 }, cost: { currency: 'USD', total: '0.000123', estimated: false, recordId: 'bill_1' } }).events;
    const messages = sseMessages(writer.write(events));
    expect(messages.at(-1)!.data).toBe('[DONE]');
    const chunks = messages.slice(0, -1).map((m) => JSON.parse(m.data));
    expect(chunks.map((c) => c.choices[0]?.delta)).toEqual([{ role: 'assistant', content: '' }, { content: 'Grüß ' }, { content: 'Gott' }, {}, undefined]);
    expect(chunks.map((c) => c.choices[0]?.finish_reason)).toEqual([null, null, null, 'stop', undefined]);
    expect(chunks.at(-1)).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11, prompt_tokens_details: { cached_tokens: 4 } },
      twin: { stream_id: 'str_1', cost: { total: '0.000123', currency: 'USD' } },
    });

    // Same keys and types as OpenAI's own chunks (text.sse), apart from Twin's extra `twin` field and
    // `system_fingerprint`, which Twin cannot know.
    const theirs = sseMessages(recorded('text.sse')).filter((m) => m.data !== '[DONE]').map((m) => JSON.parse(m.data) as Record<string, unknown>);
    // Usage details: Twin sends the ones it knows (cached and reasoning tokens), not audio or prediction counts.
    const strip = ({ system_fingerprint: _s, twin: _t, usage, ...rest }: Record<string, unknown>) => {
      if (usage === null || usage === undefined) return { ...rest, usage };
      const { prompt_tokens_details: _p, completion_tokens_details: _c, ...counts } = usage as Record<string, unknown>;
      return { ...rest, usage: counts };
    };
    expect(shape(strip(chunks[1]))).toEqual(shape(strip(theirs[1]!)));
    expect(shape(strip(chunks.at(-1)))).toEqual(shape(strip(theirs.at(-1)!)));
    expect(writer.eventsWritten).toBe(6);
    expect(writer.bytesWritten).toBe(Buffer.byteLength(writer.write([]) + messages.map((m) => `data: ${m.data}\n\n`).join('')));
  });

  it("streams tool calls as OpenAI does: id, type and name on a call's first piece, then argument text by index", () => {
    const writer = createOpenAIChatWriter({ ...options, includeUsage: false });
    const text = writer.write(
      twinEvents()
        .start()
        .tools([{ id: 'call_a', index: 0, name: 'get_weather' }])
        .tools([{ id: 'call_a', index: 0, argsDelta: '{"city":' }, { id: 'call_b', index: 1, name: 'get_time', argsDelta: '{}' }])
        .tools([{ id: 'call_a', index: 0, argsDelta: '"Bern"}', done: true, args: { city: 'Bern' } }, { id: 'call_b', index: 1, done: true, args: {} }])
        .complete({ finishReason: 'tool-calls' }).events,
    );
    const chunks = sseMessages(text).slice(0, -1).map((m) => JSON.parse(m.data));
    expect(chunks.slice(1, 4).map((c) => c.choices[0].delta.tool_calls)).toEqual([
      [{ index: 0, id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '' } }],
      [{ index: 0, function: { arguments: '{"city":' } }, { index: 1, id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '{}' } }],
      [{ index: 0, function: { arguments: '"Bern"}' } }],
    ]);
    expect(chunks.at(-1).choices[0].finish_reason).toBe('tool_calls');
    // call_b sent `{}` as its text already; a call done with no argument text at all gets `{}` (parseable JSON).
    const bare = createOpenAIChatWriter({ ...options, includeUsage: false }).write(
      twinEvents().start().tools([{ id: 'call_c', index: 0, name: 'list_cities' }]).tools([{ id: 'call_c', index: 0, done: true, args: {} }]).events,
    );
    expect(sseMessages(bare).map((m) => JSON.parse(m.data).choices[0].delta.tool_calls?.[0].function.arguments)).toEqual([undefined, '', '{}']);
    // Without include_usage: no usage chunk and no `usage: null` on the chunks.
    expect(chunks.every((c) => !('usage' in c))).toBe(true);
    const theirs = sseMessages(recorded('tool-calls.sse')).map((m) => m.data);
    expect(shape(chunks[1].choices[0].delta.tool_calls[0])).toEqual(shape(JSON.parse(theirs[0]!).choices[0].delta.tool_calls[0]));
  });

  it('ends an errored stream with an OpenAI error object the SDK throws, and no [DONE]', () => {
    const writer = createOpenAIChatWriter({ ...options, includeUsage: true });
    const messages = sseMessages(writer.write(twinEvents().start().text('Hi').error('budget_exceeded', 'Budget used up.').events));
    expect(JSON.parse(messages.at(-1)!.data)).toEqual({
      error: { message: 'Budget used up.', type: 'insufficient_quota', param: null, code: 'budget_exceeded' },
    });
    expect(messages.some((m) => m.data === '[DONE]')).toBe(false);
  });

  it('sends reasoning as reasoning_content and heartbeats as SSE comments', () => {
    const writer = createOpenAIChatWriter({ ...options, includeUsage: false });
    const messages = sseMessages(writer.write(twinEvents().start().reasoning('Think.').events));
    expect(JSON.parse(messages[1]!.data).choices[0].delta).toEqual({ reasoning_content: 'Think.' });
    expect(writer.heartbeat()).toBe(': hb\n\n');
  });
});
