import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createAnthropicMessagesWriter } from './anthropic-messages-writer';
import { sseMessages, twinEvents } from './test-events';

const options = { id: 'msg_str_1', model: 'anthropic/claude-sonnet-4-5', streamId: 'str_1' };
const recorded = (name: string) => sseMessages(readFileSync(new URL(`../../test/fixtures/anthropic/${name}`, import.meta.url), 'utf8'));

function run(events: Parameters<ReturnType<typeof createAnthropicMessagesWriter>['write']>[0]) {
  const writer = createAnthropicMessagesWriter(options);
  return sseMessages(writer.write(events)).map((m) => ({ event: m.event, data: JSON.parse(m.data) as Record<string, unknown> & { type: string } }));
}

describe('createAnthropicMessagesWriter', () => {
  it("writes Anthropic's event sequence for text, each event's name equal to its data's type", () => {
    const out = run(
      twinEvents()
        .start()
        .text('Grüß ')
        .text('Gott')
        .complete({ usage: { inputTokens: 30, outputTokens: 15, cacheReadTokens: 5 } }).events,
    );
    expect(out.map((e) => e.event)).toEqual([
      'message_start',
      'ping',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    for (const e of out) expect(e.data.type).toBe(e.event);
    // The recorded stream has the same events (its ping comes one later: Anthropic's is not tied to a position).
    expect(recorded('text.sse').map((e) => e.event).filter((e) => e !== 'ping')).toEqual(out.map((e) => e.event).filter((e) => e !== 'ping'));
    expect(out.at(-2)!.data).toMatchObject({
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      // Anthropic's input_tokens exclude cache reads; Twin's include them.
      usage: { input_tokens: 25, output_tokens: 15, cache_read_input_tokens: 5 },
      twin: { stream_id: 'str_1' },
    });
  });

  it('opens a new block when the kind changes (thinking, then text) and sends a complete tool call as one tool_use block', () => {
    const out = run(
      twinEvents()
        .start()
        .reasoning('Hmm.')
        .text('Let me check.')
        .tools([{ id: 'toolu_1', index: 0, name: 'get_weather' }])
        .tools([{ id: 'toolu_1', index: 0, argsDelta: '{"location":"Bern"}', done: true, args: { location: 'Bern' } }])
        .complete({ finishReason: 'tool-calls' }).events,
    );
    const blocks = out.filter((e) => e.event?.startsWith('content_block'));
    expect(blocks.map((e) => [e.event, e.data.index])).toEqual([
      ['content_block_start', 0],
      ['content_block_delta', 0],
      ['content_block_stop', 0],
      ['content_block_start', 1],
      ['content_block_delta', 1],
      ['content_block_stop', 1],
      ['content_block_start', 2],
      ['content_block_delta', 2],
      ['content_block_stop', 2],
    ]);
    expect(blocks[0]!.data.content_block).toEqual({ type: 'thinking', thinking: '', signature: '' });
    expect(blocks[6]!.data.content_block).toEqual({ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: {} });
    expect(blocks[7]!.data.delta).toEqual({ type: 'input_json_delta', partial_json: '{"location":"Bern"}' });
    expect(out.at(-2)!.data.delta).toEqual({ stop_reason: 'tool_use', stop_sequence: null });
    const theirs = recorded('tool-use.sse').find((e) => e.event === 'content_block_start' && e.data.includes('tool_use'))!;
    expect(Object.keys(JSON.parse(theirs.data).content_block).sort()).toEqual(Object.keys(blocks[6]!.data.content_block as object).sort());
  });

  it("reports a stop sequence as Anthropic does, and an error as Anthropic's error event", () => {
    expect(run(twinEvents().start().text('a').complete({ rawFinishReason: 'stop_sequence' }).events).at(-2)!.data.delta).toMatchObject({ stop_reason: 'stop_sequence' });
    const out = run(twinEvents().start().error('rate_limited', 'Slow down.').events);
    expect(out.at(-1)).toEqual({ event: 'error', data: { type: 'error', error: { type: 'rate_limit_error', message: 'Slow down.' } } });
    expect(createAnthropicMessagesWriter(options).heartbeat()).toBe('event: ping\ndata: {"type":"ping"}\n\n');
  });
});
