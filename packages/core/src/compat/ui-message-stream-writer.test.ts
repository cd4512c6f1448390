import { describe, expect, it } from 'vitest';
import type { StreamEvent } from '../protocol/stream-event';
import { createUIMessageStreamWriter } from './ui-message-stream-writer';

const start: StreamEvent = { type: 'start', data: { v: 1, seq: 0, streamId: 'str_1', provider: 'simulated', model: 'sim-1', createdAt: '2026-01-01T00:00:00.000Z', simulated: true } };
const chunk = (seq: number, content: Record<string, unknown>): StreamEvent => ({ type: 'chunk', data: { v: 1, seq, ...content } });

/** The `data:` payloads of SSE text, JSON-parsed (`[DONE]` kept as the string). */
function payloads(text: string): unknown[] {
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('data: '))
    .map((block) => block.slice(6))
    .map((data) => (data === '[DONE]' ? data : JSON.parse(data)));
}

describe('UI message stream writer (AI SDK useChat wire format)', () => {
  it('writes start, text and reasoning blocks, tool input, finish with Twin’s numbers as metadata, then [DONE]', () => {
    const seen: number[] = [];
    const writer = createUIMessageStreamWriter({ onWrite: (bytes) => seen.push(bytes) });
    const text =
      writer.write([start, chunk(1, { reasoning: 'hmm' }), chunk(2, { text: 'Hi ' }), chunk(3, { text: 'there' })]) +
      writer.heartbeat() +
      writer.write([
        chunk(4, { tools: [{ id: 'c1', index: 0, name: 'get_time', argsDelta: '{"zone":' }] }),
        chunk(5, { tools: [{ id: 'c1', index: 0, argsDelta: '"UTC"}' }] }),
        chunk(6, { tools: [{ id: 'c1', index: 0, args: { zone: 'UTC' }, done: true }] }),
        {
          type: 'complete',
          data: { v: 1, seq: 7, finishReason: 'tool-calls', usage: { inputTokens: 9, outputTokens: 4 }, cost: { currency: 'USD', total: '0.0013', estimated: false, simulated: true } },
        },
      ]);
    expect(payloads(text)).toEqual([
      { type: 'start', messageMetadata: { streamId: 'str_1', provider: 'simulated', model: 'sim-1', simulated: true } },
      { type: 'start-step' },
      { type: 'reasoning-start', id: 'r1' },
      { type: 'reasoning-delta', id: 'r1', delta: 'hmm' },
      { type: 'reasoning-end', id: 'r1' },
      { type: 'text-start', id: 't2' },
      { type: 'text-delta', id: 't2', delta: 'Hi ' },
      { type: 'text-delta', id: 't2', delta: 'there' },
      { type: 'text-end', id: 't2' },
      { type: 'tool-input-start', toolCallId: 'c1', toolName: 'get_time' },
      { type: 'tool-input-delta', toolCallId: 'c1', inputTextDelta: '{"zone":' },
      { type: 'tool-input-delta', toolCallId: 'c1', inputTextDelta: '"UTC"}' },
      { type: 'tool-input-available', toolCallId: 'c1', toolName: 'get_time', input: { zone: 'UTC' } },
      { type: 'finish-step' },
      {
        type: 'finish',
        finishReason: 'tool-calls',
        messageMetadata: { finishReason: 'tool-calls', usage: { inputTokens: 9, outputTokens: 4 }, cost: { currency: 'USD', total: '0.0013', estimated: false, simulated: true } },
      },
      '[DONE]',
    ]);
    expect(text).toContain(': hb\n\n');
    expect(text).not.toMatch(/^(id|event):/m);
    expect(seen.reduce((a, b) => a + b, 0)).toBe(writer.bytesWritten);
  });

  it('ends a failed stream with an error chunk and [DONE]; an aborted finish is reported as other', () => {
    const failed = createUIMessageStreamWriter();
    const out = failed.write([start, chunk(1, { text: 'partial' }), { type: 'error', data: { v: 1, seq: 2, code: 'provider_error', message: 'boom', retryable: false } }]);
    expect(payloads(out).slice(-3)).toEqual([{ type: 'text-end', id: 't1' }, { type: 'error', errorText: 'provider_error: boom' }, '[DONE]']);
    const aborted = createUIMessageStreamWriter();
    const done = payloads(aborted.write([start, { type: 'complete', data: { v: 1, seq: 1, finishReason: 'aborted' } }]));
    expect(done.at(-2)).toMatchObject({ type: 'finish', finishReason: 'other', messageMetadata: { finishReason: 'aborted' } });
  });
});
