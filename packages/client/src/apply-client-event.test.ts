import { describe, expect, it } from 'vitest';
import { applyClientEvent } from './apply-client-event';
import { IDLE_SNAPSHOT, type StreamSnapshot } from './stream-snapshot';
import { TwinClientError } from './twin-client-error';

const started: StreamSnapshot = { ...IDLE_SNAPSHOT, status: 'streaming', metrics: { ...IDLE_SNAPSHOT.metrics, startedAt: 0 } };

describe('applyClientEvent', () => {
  it('appends text and reasoning and measures time to first token', () => {
    let s = applyClientEvent(started, { type: 'chunk', seq: 1, content: { reasoning: 'think ' } }, 40);
    s = applyClientEvent(s, { type: 'chunk', seq: 2, content: { text: 'Hello world!' } }, 1_040);
    expect(s.reasoning).toBe('think ');
    expect(s.text).toBe('Hello world!');
    expect(s.lastSeq).toBe(2);
    expect(s.metrics.ttftMs).toBe(40);
    // 18 characters ≈ 5 tokens over 1 s.
    expect(s.metrics.outputTokens).toBe(5);
    expect(s.metrics.tokensPerSecond).toBe(5);
    expect(s.metrics.tokensEstimated).toBe(true);
  });

  it('assembles tool calls from start, argument deltas and done', () => {
    let s = applyClientEvent(started, { type: 'chunk', seq: 1, content: { tools: [{ id: 'c1', index: 0, name: 'weather', argsDelta: '{"ci' }] } }, 1);
    s = applyClientEvent(s, { type: 'chunk', seq: 2, content: { tools: [{ id: 'c1', index: 0, argsDelta: 'ty":"Oslo"}' }] } }, 2);
    s = applyClientEvent(s, { type: 'chunk', seq: 3, content: { tools: [{ id: 'c1', index: 0, args: { city: 'Oslo' }, done: true }] } }, 3);
    expect(s.toolCalls).toEqual([{ id: 'c1', index: 0, name: 'weather', argsText: '{"city":"Oslo"}', args: { city: 'Oslo' }, done: true }]);
  });

  it('replaces text, reasoning and tools with the state a resync carries', () => {
    let s = applyClientEvent(started, { type: 'chunk', seq: 1, content: { text: 'stale', tools: [{ id: 'x', index: 0, name: 'old' }] } }, 1);
    s = applyClientEvent(s, { type: 'resync', seq: 9, state: { text: 'full text so far', tools: [{ id: 'c2', index: 0, name: 'search', argsText: '{}' }] } }, 2);
    expect(s.text).toBe('full text so far');
    expect(s.reasoning).toBe('');
    expect(s.toolCalls).toEqual([{ id: 'c2', index: 0, name: 'search', argsText: '{}', done: false }]);
    expect(s.lastSeq).toBe(9);
  });

  it('keeps the text received before an error', () => {
    let s = applyClientEvent(started, { type: 'chunk', seq: 1, content: { text: 'partial' } }, 1);
    s = applyClientEvent(s, { type: 'error', seq: 2, error: new TwinClientError('provider_error', 'boom'), usage: { outputTokens: 2 } }, 2);
    expect(s.status).toBe('error');
    expect(s.text).toBe('partial');
    expect(s.usage).toEqual({ outputTokens: 2 });
    expect(s.error?.code).toBe('provider_error');
  });

  it('returns a new object for every change and never mutates the old one', () => {
    const before = { ...started };
    const after = applyClientEvent(started, { type: 'chunk', seq: 1, content: { text: 'a' } }, 1);
    expect(after).not.toBe(started);
    expect(started).toEqual(before);
  });
});
